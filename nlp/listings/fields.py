"""Field parsers for account listings: follower counts, prices, yes/no flags, platform and
category, the site's own listing id, and contact-detail scrubbing.

Every parser is total: malformed input gives an empty value and a flag naming the field and
the problem (``followers_unparsed``, ``price_absurd`` ...), never an exception, so one odd card
cannot break a crawl and the odd value stays visible to whoever audits the flags.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = [
    "parse_followers", "followers_lower_bound", "parse_price", "parse_flag", "flag_field", "label_field",
    "canonical_platform", "find_platform", "split_category", "find_category",
    "listing_id_from_url", "scrub_contacts", "is_contact_label", "normalize",
]

#: more followers than people on Earth is a parse error, not an account
MAX_FOLLOWERS = 5_000_000_000
#: no social-media account sells for more than this (yuan); above it the text was misread
MAX_PRICE = 1_000_000_000

_UNITS = {"w": 10_000, "万": 10_000, "亿": 100_000_000, "k": 1_000, "千": 1_000}


# Traditional forms of the characters listing labels and values use (粉絲數量, 有無違規,
# 直播權限, 認證狀態, 價格, 萬, 億 ...), so Taiwanese and Hong Kong sites parse too, without
# loading OpenCC for a handful of short strings.
_T2S = str.maketrans(
    "絲數無違規權認證狀態價帶貨開實類號編藍萬億櫥聯繫電話關註黃額議詳談評論視頻紅書嗶會員",
    "丝数无违规权认证状态价带货开实类号编蓝万亿橱联系电话关注黄额议详谈评论视频红书哔会员",
)


def normalize(text: str | None) -> str:
    """NFKC (full-width digits, letters and punctuation to ASCII), the Traditional forms of
    listing words to Simplified, no inner whitespace."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text).translate(_T2S)
    return re.sub(r"\s+", "", text)


def _number(digits: str) -> Decimal | None:
    try:
        return Decimal(digits.replace(",", ""))
    except InvalidOperation:
        return None


def _unit_factor(units: str) -> int | None:
    """'万' -> 10^4; 'WW' (a number printed with its unit, followed by the unit again, as
    account sites do) counts once; '万亿' multiplies. Unknown letters -> None."""
    units = re.sub(r"(.)\1+", r"\1", units.lower())  # 13.2WW: the repeated unit is a label
    factor = 1
    for ch in units:
        if ch not in _UNITS:
            return None
        factor *= _UNITS[ch]
    return factor


# --- followers -------------------------------------------------------------------------------

_FOLLOWER_PREFIX = re.compile(r"^(?:粉丝(?:数量|数|量)?|关注者|订阅者?|fans)?[:]?(?:约|近|超过|超|共)?")
_FOLLOWER_SUFFIX = re.compile(r"(?:\+|以上|多|余|左右)?(?:粉丝|粉|人|fans)?(?:\+|以上)?$")
_FOLLOWER_VALUE = re.compile(r"(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)([wW万亿kK千]*)")


@lru_cache(maxsize=8192)
def parse_followers(text: str | None) -> tuple[int | None, str | None]:
    """Follower count in any display form -> (count, None), or (None, flag) when it cannot be
    read: ``followers_empty``, ``followers_unparsed`` or ``followers_absurd``.

    ``13.2W`` / ``13.2WW`` / ``13.2万`` / ``1.2w`` -> 132000 / 132000 / 132000 / 12000;
    ``3亿``, ``12,345``, ``10万+`` (a lower bound, read as its bound) and ``粉丝：8.6万`` too.
    """
    s = normalize(text)
    if not s:
        return None, "followers_empty"
    core = _FOLLOWER_SUFFIX.sub("", _FOLLOWER_PREFIX.sub("", s, count=1), count=1)
    m = _FOLLOWER_VALUE.fullmatch(core)
    if not m:
        return None, "followers_unparsed"
    num, factor = _number(m.group(1)), _unit_factor(m.group(2))
    if num is None or factor is None:
        return None, "followers_unparsed"
    value = int((num * factor).to_integral_value())
    if value > MAX_FOLLOWERS:
        return None, "followers_absurd"
    return value, None


def followers_lower_bound(text: str | None) -> bool:
    """True for '10万+' / '10万以上' style counts (the site rounds down and says so)."""
    return bool(re.search(r"(\+|以上|多|余)", normalize(text)))


# --- prices ------------------------------------------------------------------------------------

_NEGOTIABLE = re.compile(r"面议|议价|面谈|电议|私聊|详谈|咨询|商议|协商|待定|询价")
_PRICE_PREFIX = re.compile(r"^(?:价格|售价|报价|转让价|出售价|一口价|参考价|价钱|定价)?[:]?(?:约)?(?:¥|￥|rmb|cny)?", re.I)
_PRICE_SUFFIX = re.compile(r"(?:元|块|rmb|cny)?(?:起|以上|左右)?$", re.I)
_PRICE_ONE = r"(?:¥|rmb)?(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)([wW万kK千]?)(?:元|块)?"
_PRICE_VALUE = re.compile(_PRICE_ONE + r"(?:(?:-|~|至|到|—|–)" + _PRICE_ONE + r")?", re.I)


@lru_cache(maxsize=8192)
def parse_price(text: str | None) -> tuple[float | None, float | None, str | None]:
    """Price text -> (low, high, flag) in yuan.

    ``¥3,800`` / ``3800元`` / ``0.38万`` -> (3800, 3800, None); ``3000-5000元`` and
    ``0.3~0.5万`` -> low and high; ``1.2万起`` -> (12000, None, None), a floor;
    ``面议`` / ``议价`` -> (None, None, 'price_negotiable'); unreadable -> ``price_empty`` / ``price_unparsed`` / ``price_absurd``.
    """
    s = normalize(text)
    if not s:
        return None, None, "price_empty"
    if _NEGOTIABLE.search(s):
        return None, None, "price_negotiable"
    core = _PRICE_SUFFIX.sub("", _PRICE_PREFIX.sub("", s, count=1), count=1)
    m = _PRICE_VALUE.fullmatch(core)
    if not m:
        return None, None, "price_unparsed"
    low, low_unit, high, high_unit = m.groups()
    if high is not None and not low_unit:
        low_unit = high_unit  # '0.3-0.5万': the unit printed once covers both ends
    values = []
    for num, unit in ((low, low_unit), (high, high_unit)):
        if num is None:
            continue
        n, factor = _number(num), _unit_factor(unit or "")
        if n is None or factor is None:
            return None, None, "price_unparsed"
        values.append(float(n * factor))
    if any(v <= 0 or v > MAX_PRICE for v in values):
        return None, None, "price_absurd"
    lo, hi = min(values), max(values)
    if len(values) == 1 and re.search(r"(?:起|以上)$", s):
        return lo, None, None  # '3800起': a floor, no ceiling
    return lo, hi, None


# --- yes/no flags ------------------------------------------------------------------------------

# label words -> field; checked in order, so 蓝V认证 is blue_v before 认证 is verified
_FLAG_LABELS: tuple[tuple[str, str], ...] = (
    (r"蓝v|企业认证|官方认证|机构认证|企业号|机构号", "blue_v"),
    (r"违规|违禁|处罚|封禁|限流", "has_violation"),
    (r"带货|橱窗|小黄车|购物车|商品分享|电商权限|小店", "sell_enabled"),
    (r"直播", "live_enabled"),
    (r"认证|实名|加v|黄v", "verified"),
)
_NEGATIVE = re.compile(r"^(?:未|无|没有|没|不|否|非|暂无|尚未|×|✗|✘)")
_NEG_ANYWHERE = re.compile(r"未开通|未认证|未实名|无违规|没有违规|未违规|不支持|不可|未开|关闭|已关闭")
_POSITIVE = re.compile(r"^(?:已|有|是|可|支持|开通|开启|✓|✔|√|正常)")
_BARE_YES = frozenset({"有", "是", "已开通", "开通", "已开", "已开启", "开启", "已认证",
                       "已实名", "支持", "可以", "✓", "✔", "√", "y", "yes", "true"})
_BARE_NO = frozenset({"无", "没有", "否", "未开通", "未开", "未开启", "关闭", "未认证", "未实名",
                      "不支持", "不可以", "不可", "x", "×", "✗", "✘", "n", "no", "false", "-"})


@lru_cache(maxsize=8192)
def flag_field(text: str | None) -> str | None:
    """The flag field a label (or self-describing value) speaks about, or None."""
    s = normalize(text).lower()
    if not s:
        return None
    for pattern, name in _FLAG_LABELS:
        if re.search(pattern, s):
            return name
    return None


def _truth(s: str, name: str | None) -> bool | None:
    if s in _BARE_YES:
        return True
    if s in _BARE_NO:
        return False
    if name == "has_violation":
        # '有违规' / '轻微违规' / '违规1次' are violations; '无违规' / '违规0次' are not
        if re.search(r"无|没有|未|不|0次|零", s):
            return False
        if "违规" in s or "有" in s or re.search(r"[1-9]", s):
            return True
        return None
    if _NEG_ANYWHERE.search(s) or _NEGATIVE.match(s):
        return False
    if _POSITIVE.match(s) or (name and len(s) <= 6 and flag_field(s) == name):
        return True  # a short badge naming the field: '蓝V', '直播带货'; never a sentence
    return None


@lru_cache(maxsize=8192)
def parse_flag(text: str | None, label: str | None = None) -> tuple[str | None, bool | None]:
    """A yes/no value -> (field, value).

    The field comes from ``label`` when given (粉丝数量/直播权限/认证状态 ...), else from the
    value itself when it names one ('无违规' -> ('has_violation', False), '已认证' ->
    ('verified', True), '蓝V' -> ('blue_v', True)). A bare '已开通' with no label says yes to
    nothing known: (None, True). Unreadable values give (field, None).
    """
    s = normalize(text).lower()
    name = flag_field(label) if label else None
    if name is None:
        name = flag_field(s)
        if name is None and s in ("已认证", "未认证", "认证"):
            name = "verified"
    if not s:
        return name, None
    return name, _truth(s, name)


# --- labels ------------------------------------------------------------------------------------

_LABELS: tuple[tuple[str, str], ...] = (
    (r"^(?:联系|电话|手机|微信|vx|wx|qq|扣扣|客服|咨询|v信|薇信|联系人|联系方式)", "contact"),
    (r"粉丝|关注者|订阅数|^fans$", "followers"),
    (r"价格|售价|报价|转让价|出售价|一口价|参考价|价钱|定价|^价$|金额", "price"),
    (r"^(?:所属)?平台$|^账号平台$|^平台类型$", "platform"),
    (r"^(?:账号)?(?:类型|类目|分类|类别|领域|行业|垂直领域|内容领域)$", "category"),
    (r"^(?:标题|名称|账号|账号名称|账号名|账号标题|昵称|商品|商品名称|商品标题)$", "title"),
    (r"^(?:编号|账号编号|商品编号|交易编号|信息编号|商品id|编码|id|no\.?)$", "listing_id"),
)


@lru_cache(maxsize=8192)
def label_field(label: str | None) -> str | None:
    """Which Listing field a label names: 'followers', 'price', 'platform', 'category',
    'title', 'listing_id', 'contact', a flag field ('has_violation' ...), or None."""
    s = normalize(label).lower().rstrip(":")
    if not s or len(s) > 12:
        return None
    for pattern, name in _LABELS:
        if re.search(pattern, s):
            return name
    return flag_field(s)


def is_contact_label(label: str | None) -> bool:
    return label_field(label) == "contact"


# --- contact details -----------------------------------------------------------------------------

_CONTACT = re.compile(
    r"(?:(?:联系)?(?:电话|手机|tel|phone)[:：]?\s*)?(?<!\d)1[3-9]\d(?:[- ]?\d{4}){2}(?!\d)"   # mobile
    r"|(?:(?:联系)?(?:电话|座机)[:：]?\s*)?(?<!\d)0\d{2,3}-\d{7,8}(?!\d)"                     # landline
    r"|(?:请?加|联系|咨询)?\s*(?:微信号?|weixin|wechat|v信|薇信|vx|wx|加v|qq号?|扣扣|qq群)\s*[:：]?\s*[A-Za-z0-9][-_A-Za-z0-9]{4,29}"
    r"|[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}",                                         # e-mail
    re.I,
)
# the label a removed contact leaves behind ('联系方式：', '客服邮箱')
_LEFTOVER = re.compile(r"(?:(?:联系|咨询|客服)?(?:电话|手机|微信|qq|方式|邮箱)[:：]?|[:：,，;；/|\s])+$", re.I)


def scrub_contacts(text: str) -> tuple[str, bool]:
    """Remove phone numbers, WeChat/QQ ids and e-mail addresses -> (text, removed?)."""
    out, n = _CONTACT.subn("", text)
    if not n:
        return text, False
    out = _LEFTOVER.sub("", out).strip(" ,，;；:：|/-")
    return re.sub(r"\s{2,}", " ", out), True


# --- platform and category ------------------------------------------------------------------------

_LEXICON = Path(__file__).resolve().parents[1] / "data" / "platforms.toml"
# account-trading slang and platforms the news lexicon does not carry
_EXTRA_ALIASES = {
    "抖音": ["dy号", "抖音账号", "抖音号"], "快手": ["ks号", "快手账号"], "小红书": ["xhs", "红书号"],
    "微信": ["公众号", "订阅号", "服务号"], "微信视频号": ["视频号"], "今日头条": ["头条号", "今日头条"],
    "西瓜视频": ["西瓜视频", "西瓜号"], "知乎": ["知乎"], "百家号": ["百家号"], "大鱼号": ["大鱼号"],
    "微博": ["微博号"], "哔哩哔哩": ["bilibili", "b站号"],
}


@lru_cache(maxsize=1)
def _aliases() -> tuple[tuple[str, str], ...]:
    """(alias lower-cased, canonical name), longest alias first."""
    pairs: dict[str, str] = {}
    try:
        data = tomllib.loads(_LEXICON.read_text(encoding="utf-8"))
        for p in data.get("platform", []):
            for kind in ("names", "english", "pinyin", "abbreviations", "old_names", "nicknames"):
                for a in p.get(kind, []):
                    pairs.setdefault(a.lower(), p["name"])
            pairs.setdefault(p["name"].lower(), p["name"])
    except (OSError, tomllib.TOMLDecodeError):  # pragma: no cover - the lexicon ships with us
        pass
    for name, aliases in _EXTRA_ALIASES.items():
        for a in [name, *aliases]:
            pairs[a.lower()] = name
    return tuple(sorted(pairs.items(), key=lambda kv: -len(kv[0])))


@lru_cache(maxsize=1)
def _alias_pattern() -> re.Pattern[str]:
    parts = []
    for alias, _ in _aliases():
        esc = re.escape(alias)
        # Latin aliases must not touch other letters ('dy' is not in 'daily')
        parts.append(rf"(?<![a-z]){esc}(?![a-z])" if alias.isascii() else esc)
    return re.compile("|".join(parts))


@lru_cache(maxsize=8192)
def canonical_platform(text: str | None) -> str | None:
    """A platform label/value ('快手号', 'Douyin', 'B站') -> canonical name, or None."""
    s = normalize(text).lower()
    if not s:
        return None
    table = dict(_aliases())
    if s in table:
        return table[s]
    return find_platform(s)


@lru_cache(maxsize=8192)
def find_platform(text: str | None) -> str | None:
    """The first platform named in free text (a title, a category), or None."""
    s = normalize(text).lower()
    if not s:
        return None
    m = _alias_pattern().search(s)
    return dict(_aliases())[m.group(0)] if m else None


#: account categories as trading sites name them (the first of each row is canonical)
_CATEGORIES: tuple[tuple[str, ...], ...] = (
    ("自媒体",), ("美食", "吃播", "探店"), ("游戏", "电竞"), ("搞笑", "段子"), ("娱乐", "明星"),
    ("情感",), ("美妆", "护肤"), ("时尚", "穿搭", "服装"), ("母婴", "育儿", "亲子"),
    ("教育", "知识", "学习"), ("科技", "数码"), ("汽车",), ("旅游", "旅行"), ("体育", "运动"),
    ("健身",), ("音乐",), ("舞蹈",), ("影视", "剪辑"), ("动漫", "二次元"), ("宠物", "萌宠"),
    ("生活", "日常", "vlog"), ("三农", "农村"), ("财经", "理财"), ("军事",), ("历史",),
    ("文化",), ("摄影",), ("颜值",), ("剧情",), ("电商", "好物"), ("房产",), ("家居",),
    ("健康", "养生"), ("职场",), ("体育",), ("新闻", "资讯"),
)


@lru_cache(maxsize=1)
def _category_pattern() -> tuple[re.Pattern[str], dict[str, str]]:
    canon = {w: row[0] for row in _CATEGORIES for w in row}
    words = sorted(canon, key=len, reverse=True)
    return re.compile("|".join(re.escape(w) for w in words)), canon


@lru_cache(maxsize=8192)
def find_category(text: str | None) -> str | None:
    """The first known category word in text ('快手美食号出售' -> '美食'), or None."""
    s = normalize(text).lower()
    pat, canon = _category_pattern()
    m = pat.search(s)
    return canon[m.group(0)] if m else None


@lru_cache(maxsize=8192)
def split_category(text: str | None) -> tuple[str | None, str | None]:
    """A category string that may carry a platform ('抖音美食号', '快手-游戏') ->
    (platform, category). The category keeps the site's wording when it names no known one."""
    s = normalize(text)
    if not s:
        return None, None
    platform = find_platform(s)
    rest = s
    if platform:
        rest = _alias_pattern().sub("", s.lower(), count=1)
    rest = rest.strip("-_/|·:>")
    rest = re.sub(r"(?:账号|号)$", "", rest)
    category = find_category(rest) or (rest if rest else None)
    return platform, category


# --- listing id ----------------------------------------------------------------------------------

_ID_QUERY = ("id", "aid", "gid", "goods_id", "goodsid", "item_id", "itemid", "sid", "no")


def listing_id_from_url(url: str | None) -> str | None:
    """The site's own id in a detail URL: '/zh/123.html' -> '123', '/item?id=77' -> '77',
    '/goods/detail-4521/' -> '4521'. None when the URL carries no number."""
    if not url:
        return None
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    for key in _ID_QUERY:
        for k, vals in query.items():
            if k.lower() == key and vals and re.fullmatch(r"[A-Za-z0-9_-]{1,40}", vals[0]):
                return vals[0]
    segments = [s for s in parts.path.split("/") if s]
    for seg in reversed(segments):
        stem = re.sub(r"\.(?:s?html?|php|aspx?|jsp)$", "", seg, flags=re.I)
        nums = re.findall(r"\d+", stem)
        if nums:
            return nums[-1]
    return None
