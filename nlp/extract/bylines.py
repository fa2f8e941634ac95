"""Bylines and credits: authors, editors, original source and republisher.

Chinese pages credit people in a handful of forms, in both scripts and with full- or
half-width punctuation:

* role lines: ``作者：王某`` ``文/王某`` ``记者 王某 李某`` ``通讯员王某`` ``责任编辑：王某``
  ``来源：某报``, several on one line (``[稿源：红网][作者：王某][编辑：李某]``), several names
  separated by spaces or 、;
* slash datelines of Taiwan and Hong Kong portals: ``记者王某／台北报导``, ``中广新闻／王某``,
  ``【王某、李某／综合报导】``;
* the opening of the first paragraph: ``新华网北京12月9日电（记者王某 李某）``, ``〔中央社〕``;
* a credit in brackets closing the last paragraph: ``……（李某）`` ``(记者 王某)`` ``(王某/编译)``;
* republishing notices: ``本文来自微信公众号“某某”（ID：x），作者：王某，36氪经授权发布。``

Every function here is pure text in, :class:`Credits` out; the extractor decides which lines to
look at and whether a line is chrome (dropped) or prose (kept, credits read from it).
Matching runs on the Simplified, NFKC view of a line (one keyword list for both scripts);
names are returned in the page's own script when the view lines up with the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

_DATA = Path(__file__).resolve().parents[1] / "data" / "surnames.txt"

#: role words that name the people who wrote the piece
AUTHOR_ROLES = (
    "本报记者", "见习记者", "实习记者", "特约记者", "首席记者", "总台记者", "驻站记者", "记者",
    "特约撰稿人", "特约撰稿", "撰稿人", "撰稿", "撰文", "作者", "通讯员", "实习生", "采写", "编译",
    "译者", "翻译", "口述", "文字", "文",
)
EDITOR_ROLES = (
    "责任编辑", "网络编辑", "值班编辑", "实习编辑", "编辑", "责编", "主编", "编审", "审校",
    "审核", "校对", "监制", "编校",
)
SOURCE_ROLES = (
    "本文来源于", "本文来源", "文章来源", "信息来源", "稿件来源", "来源于", "来源", "稿源", "出处",
    "转载自", "转自",
)
#: other fields printed on credit lines: they end a value
_OTHER_KEYS = ("发布者", "发布时间", "发表时间", "更新时间", "时间", "日期", "关键字", "关键词",
               "标签", "字号", "点击", "浏览", "阅读", "评论", "分类", "栏目", "人气")
#: roles that must be followed by a separator (they are also ordinary words or prefixes)
_NEED_SEP = {"文", "文字", "作者", "编辑", "来源", "来源于", "出处", "翻译", "编译", "审核", "转自"}

_ROLE_OF = {r: "author" for r in AUTHOR_ROLES} | {r: "editor" for r in EDITOR_ROLES} | {
    r: "source" for r in SOURCE_ROLES} | {r: "other" for r in _OTHER_KEYS}
_KEYS = sorted(_ROLE_OF, key=len, reverse=True)
_MARK = re.compile(r"(" + "|".join(map(re.escape, _KEYS)) + r")\s*([:：/／|丨]?)\s*")
_SEP_VALUE = re.compile(r"[\[\]【】()（）〔〕|｜丨]")
_DATE = re.compile(r"\d{2,4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?(?:\s*\d{1,2}\s*[:：]\s*\d{2}(?:\s*[:：]\s*\d{2})?)?")
#: words that may share a credit line without making it prose
_FILLER = re.compile(
    r"本报讯|本报|独家|专稿|综合报道|综合报导|报道|报导|发自\S{0,4}|摄影?|手机看新闻|我来说两句|"
    r"字号\s*[:：]?\s*(?:大\s*中\s*小|T\|?T)?|[大中小]\s|打印|转发|分享到?|评论|参与|人|条|更新|"
    r"\d+|[:：/／|丨,，、;；.。\-\s\[\]【】()（）〔〕<>《》·]"
)
_ORG_END = re.compile(r"(?:网|报|社|台|新闻|媒|媒体|电视|日报|晚报|时报|周刊|杂志|频道|中心|在线|通讯|网站)$")
_PERSON_STOP = {
    "记者", "编辑", "作者", "本报", "综合", "报道", "报导", "通讯员", "实习生", "佚名", "匿名", "网友",
    "本站", "本网", "小编", "未知", "原创", "转载", "编译", "整理", "供稿", "特约", "撰文", "见习",
    "图文", "文图", "摄影", "来源", "责编", "新华社", "中新社", "中央社", "完",
}
_CJK = r"\u4e00-\u9fff"
_NAME_TOKEN = re.compile(
    # U+FFFD: a rare character the page's encoding could not carry ('毛�磊' in a GBK page)
    rf"^(?:[{_CJK}\ufffd]{{2,5}}|[{_CJK}]{{1,6}}[·・.．•‧][{_CJK}]{{1,8}}|[A-Za-z][A-Za-z0-9·.&_\- ]{{1,29}})$"
)
_SPLIT_NAMES = re.compile(r"[、,，;；\s]+")


@dataclass
class Credits:
    authors: list[str] = field(default_factory=list)
    editors: list[str] = field(default_factory=list)
    source: str | None = None
    republisher: str | None = None

    def __bool__(self) -> bool:
        return bool(self.authors or self.editors or self.source or self.republisher)

    def update(self, other: Credits) -> None:
        """Add what ``other`` found that is still missing here (first finding wins)."""
        add_new(self.authors, other.authors)
        add_new(self.editors, other.editors)
        self.source = self.source or other.source
        self.republisher = self.republisher or other.republisher


def add_new(names: list[str], more: list[str]) -> None:
    """Append to ``names`` each of ``more`` it lacks, in order (credits keep first-seen order)."""
    names.extend(n for n in dict.fromkeys(more) if n not in names)


@lru_cache(maxsize=1)
def _surnames() -> tuple[frozenset[str], frozenset[str]]:
    single: set[str] = set()
    double: set[str] = set()
    for line in _DATA.read_text("utf-8").splitlines():
        if line.startswith("#"):
            continue
        for s in line.split():
            (single if len(s) == 1 else double).add(s)
    return frozenset(single), frozenset(double)


def looks_like_person(name: str) -> bool:
    """A Chinese personal name (family name + one or two characters) in Simplified script."""
    from nlp.script import to_simplified

    s = to_simplified(name.strip())
    single, double = _surnames()
    if s in _PERSON_STOP or not re.fullmatch(rf"[{_CJK}]{{2,4}}", s):
        return False
    if _FORM_OF_ADDRESS.search(s) or (len(s) == 2 and s[0] in _FUNCTION_SURNAMES):
        return False  # '王先生' is an address, '和各' a conjunction and a word
    if s[:2] in double and len(s) >= 3:
        return True
    return s[0] in single and len(s) <= 3


#: family names that are also function words: '和各', '于是' are not two-character names
_FUNCTION_SURNAMES = frozenset("和与从对把被给将为以及同跟由但")  # not 于, 向: common names
_FORM_OF_ADDRESS = re.compile(r"(?:先生|女士|小姐|老师|师傅|同学|总|哥|姐)$")


def _span(text: str, view: str, start: int, end: int) -> str:
    """``view[start:end]`` in the page's own script when the view lines up with the text."""
    return text[start:end] if len(text) == len(view) else view[start:end]


def _clean_value(value: str) -> str:
    value = _DATE.sub(" ", value)
    return value.strip(" \t:：/／|丨,，、;；.。-—·・\"'“”《》")


def _names(value: str, *, strict: bool, orgs: list[str] | None = None) -> list[str]:
    """Names in a credit value; ``strict`` wants every name to look like a person's.

    An outlet written right before a name ('中央社陈怡君', '新华社记者王某') is cut off and, when
    ``orgs`` is given, appended to it (it is the piece's source)."""
    out: list[str] = []
    if re.search(r"[《》]|综合报|綜合報", value):
        return out  # '《财经》综合报道': a desk, not a person
    if re.search(r"(?:摄影?|攝影?|编制|編製|制图|製圖|制表|绘图|繪圖)\s*$", value.strip()):
        return out  # '本报记者 王某 摄', '新华社记者 王某 编制': the picture's or chart's credit
    from nlp.script import to_simplified

    # '赵培：北京物资学院': what follows a colon after the name is an affiliation, not a name
    value = re.split(r"[:：]", value, maxsplit=1)[0] if re.search(rf"[{_CJK}A-Za-z]\s*[:：]", value) else value
    for tok in _merge_padded(_SPLIT_NAMES.split(_clean_value(value))):
        simple = to_simplified(tok)
        cut = re.search(r"(?:[\u4e00-\u9fff]{2})?(?:报道|报导)$|摄影?$|发自\S*$", simple)
        if cut and len(simple) == len(tok):
            at = cut.start() if cut.start() >= 2 else re.search(r"(?:报道|报导|摄影?|发自\S*)$", simple).start()
            tok, simple = tok[:at], simple[:at]
        tok = tok.strip("·・.()（）[]【】《》")
        simple = simple.strip("·・.()（）[]【】《》")
        if not tok or simple in _ROLE_OF or simple in _PERSON_STOP:
            continue
        om = _ORG_PREFIX.match(simple)
        if om and len(simple) == len(tok) and looks_like_person(om.group("who")):
            if orgs is not None:
                orgs.append(tok[: om.end("org")])
            tok, simple = tok[om.start("who"):], om.group("who")
        if strict and len(simple) == 4 and not looks_like_person(simple) and all(
                looks_like_person(h) for h in (simple[:2], simple[2:])):
            out.extend((tok[:2], tok[2:]))  # '记者罗某苏某发自北京': two names written together
            continue
        if re.search(r"[\u4e00-\u9fff]", simple) and _ORG_END.search(simple) and not looks_like_person(tok):
            continue  # 新民网, 财经网: an outlet, not a person
        if not _NAME_TOKEN.match(tok):
            continue
        if strict and not looks_like_person(tok):
            continue
        out.append(tok)
    return out


#: an outlet glued to the front of a name: '中央社陈某', '光明网王某'
_ORG_PREFIX = re.compile(rf"^(?P<org>[{_CJK}]{{1,8}}?(?:通讯社|社|网|报|电台|电视台|新闻))(?P<who>[{_CJK}]{{2,3}})$")


def _merge_padded(tokens: list[str]) -> list[str]:
    """'耿 强' is one two-character name padded to three columns, not two names (merged before
    the tokens are checked one by one, or each half would fail the name test)."""
    out, k = [], 0
    while k < len(tokens):
        t = tokens[k]
        if len(t) == 1 and k + 1 < len(tokens) and len(tokens[k + 1]) == 1:
            t, k = t + tokens[k + 1], k + 1
        if len(t) > 1 or not re.match(rf"[{_CJK}]", t):
            out.append(t)
        k += 1
    return out


def _source_value(value: str) -> str | None:
    value = _clean_value(value)
    value = re.split(r"[\s　，,。;；]", value, maxsplit=1)[0] if value else ""
    return plausible_source(value)


def plausible_source(value: str | None) -> str | None:
    """An outlet's name, or None for URLs, markup debris and copyright boilerplate."""
    value = (value or "").strip().strip("()（）[]【】《》\"'“”")
    if len(value) < 2 or value in ("转载", "转载文章", "网络", "互联网", "本站", "本网", "未知", "原创"):
        return None
    if re.search(r"https?:|www\.|[=<>{}]|授权|侵权|版权|转载", value):
        return None
    return value[:30]


def plausible_author(name: str) -> bool:
    """What a page's metadata may call its author: not an ID, a URL, a site or a team.

    CMSs often fill ``<meta name="author">`` with the site's name or an account number."""
    from nlp.script import to_simplified

    s = to_simplified(name.strip())
    if not s or re.fullmatch(r"[\d\W_]+", s) or re.search(r"https?:|www\.|[:：_/|]|\bby\b|team", s, re.I):
        return False
    if re.search(r"网|报|社|频道|公司|集团|中心|电视|新闻|传媒|杂志|期刊|出版|学术", s):
        return False
    return len(s) <= 30


def parse_credit_line(text: str, view: str | None = None) -> tuple[Credits, bool]:
    """Credits on one line and whether the line is nothing else (chrome, safe to drop).

    ``view`` is the line's Simplified NFKC form (see ``clean.make_view``); the text itself is
    used when it is not given (a Simplified page).
    """
    view = text if view is None else view
    found = Credits()
    marks = [m for m in _MARK.finditer(view) if _is_marker(view, m)]
    if marks:
        # '作者：某(业余观星者，某网频道主编，…)': role words inside an aside after a credit
        # belong to the biography, not to another credit
        asides = [b.span() for b in re.finditer(r"[(（][^()（）]*[)）]", view)
                  if b.start() > marks[0].end() and (re.search(r"[,，]", b.group()) or len(b.group()) > 18)]
        marks = [m for m in marks if not any(a < m.start() < b for a, b in asides)]
    values: list[tuple[str, bool, str]] = []  # (kind, separator given, value)
    spans: list[tuple[int, int]] = []
    others: list[tuple[int, int]] = []  # '标签：甲,乙,丙': other fields' values, not prose
    for k, m in enumerate(marks):
        kind = _ROLE_OF[m.group(1)]
        end = marks[k + 1].start() if k + 1 < len(marks) else len(view)
        if kind == "other":
            others.append((m.start(), end))
            continue
        stop = _SEP_VALUE.search(view, m.end(), end)
        if stop:
            end = stop.start()
        if _prose(view[m.end():end]):
            continue  # '记者从市商务局获悉，……': prose that starts with a role word
        values.append((kind, bool(m.group(2)), _span(text, view, m.end(), end)))
        spans.append((m.start(), end))
    rest = view
    for a, b in reversed(spans):
        rest = rest[:a] + " " + rest[b:]
    rest = _FILLER.sub("", _DATE.sub("", rest))
    pure = bool(spans) and len(rest) <= 4
    asked = view
    for a, b in reversed(others):
        asked = asked[:a] + " " + asked[b:]
    # '作者：某(天文爱好者，某网主编，…)': a bracketed aside is a biography, not a question
    for b in reversed(list(re.finditer(r"[(（][^()（）]*[)）]", asked))):
        if spans and b.start() >= spans[0][1] and not any(b.start() <= a < b.end() for a, _ in spans):
            asked = asked[: b.start()] + " " + asked[b.end():]
    if spans and not pure and re.search(r"[。？！?!；;]|[,，].*[,，]", asked):
        values = []  # '记者：那么，……' is an interview question, not a credit
    for kind, sep, value in values:
        if kind == "source":
            src = _source_value(value)
            if src and not found.source:
                found.source = src
        elif kind == "editor":
            for n in _names(value, strict=False):
                if n not in found.editors:
                    found.editors.append(n)
        else:
            direct = not sep and not value[:1].isspace()
            orgs: list[str] = []
            for n in _names(value, strict=direct, orgs=orgs):
                if n not in found.authors:
                    found.authors.append(n)
            found.source = found.source or plausible_source(orgs[0] if orgs else None)
    if not spans:
        reported = parse_reported_by(text, view)
        if reported:
            return reported, True
        outlet = _bracketed_outlet(text, view) or _print_edition(text, view)
        if outlet:
            return Credits(source=outlet[0]), outlet[1]
    slash = parse_slash_dateline(text, view)
    if slash:
        found.update(slash)
        pure = pure or (not spans and len(_FILLER.sub("", _DATE.sub("", view))) <= 24)
    return found, pure


def _prose(value: str) -> bool:
    """A sentence, not a credit value (the view is NFKC: full-width commas are ASCII there)."""
    return bool(re.search(r"[。？！?!；;]", value)) or len(value) > 40 or (
        bool(re.search(r"[,，]", value)) and len(value) > 16)


def _is_marker(view: str, m: re.Match) -> bool:
    role, sep = m.group(1), m.group(2)
    if _ROLE_OF[role] == "other":
        return True
    if role in _NEED_SEP and not sep and not (_ROLE_OF[role] == "editor" and _brackets_around(view, m)) \
            and not _spaced_on_info_line(view, m):
        return False
    # 原文: / 全文 / 张文攀: 文 inside a word is not a credit
    return not (role in ("文", "文字") and m.start() > 0 and re.match(rf"[{_CJK}]", view[m.start() - 1]))


def _brackets_around(view: str, m: re.Match) -> bool:
    """'（编辑 张颖）': a bracket right before the role stands for the missing colon; so does
    a bracket and an outlet's name ('（某某网编辑 张颖）')."""
    if m.start() > 0 and view[m.start() - 1] in "（(【[〔":
        return True
    before = re.search(r"[（(【\[〔]\s*([^\s（(【\[〔）)】\]〕]{2,10})$", view[: m.start()])
    return bool(before and _ORG_END.search(before.group(1)))


def _spaced_on_info_line(view: str, m: re.Match) -> bool:
    """'时间 2012-1-12 17:58 来源 某网 作者 王某': on an info line that carries a date, a
    space after the role word stands for the colon."""
    return (m.end(1) < len(view) and view[m.end(1)].isspace() and (m.start() == 0 or view[m.start() - 1].isspace())
            and bool(_DATE.search(view)) and len(view) <= 60)


_OUTLET_LINE = re.compile(r"^\s*[(（](?P<o>[^()（）\s]{2,12})[)）]\s*$")
_EDITION = re.compile(
    r"^\s*《(?P<o>[^《》]{2,12})》\s*[(（]?\s*\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*"
    r"(?:第?\s*[\dA-Za-z]{1,3}\s*版)?\s*[)）]?\s*$")


def _bracketed_outlet(text: str, view: str) -> tuple[str, bool] | None:
    """'（某某日报）' on a line of its own: the outlet the piece comes from (chrome)."""
    m = _OUTLET_LINE.match(view)
    if not m or not _ORG_END.search(m.group("o")) or re.search(r"\d", m.group("o")):
        return None
    return _span(text, view, *m.span("o")), True


def _print_edition(text: str, view: str) -> tuple[str, bool] | None:
    """'《某某日报》（2022年02月13日 02版）': the paper the piece was printed in (kept: the
    line is part of the article as published)."""
    m = _EDITION.match(view)
    return (_span(text, view, *m.span("o")), False) if m else None


_REPORTED_BY = re.compile(
    r"^(?P<org>[^\s，。,；;：:]{0,14}?(?:台|社|网|报|新闻|记者))??\s*(?P<who>[\u4e00-\u9fff]{2,3})\s*"
    r"(?P<place>[\u4e00-\u9fff]{2})?(?:报导|报道)$"
)


def parse_reported_by(text: str, view: str | None = None) -> Credits | None:
    """A line that is only '王某 报导' / '某电台王某报导' / '记者王某台北报道'."""
    view = (text if view is None else view).strip()
    text = text.strip()
    if _DATE.match(view):  # '2012/1/17 王某 报导': a date before the credit
        cut = _DATE.match(view).end()
        text, view = (text[cut:] if len(text) == len(view) else view[cut:]).strip(), view[cut:].strip()
    if len(view) > 30:
        return None
    m = _REPORTED_BY.match(view)
    if not m or not looks_like_person(m.group("who")):
        return None
    org = m.group("org") or ""
    spaced = view[m.end("who"):m.end("who") + 1].isspace()
    if len(org) < 2 and not spaced:
        return None  # '国会报道', '网易商业报道': a section's name, not a credit
    who = _span(text, view, *m.span("who"))
    out = Credits(authors=[who])
    org = org.removesuffix("记者")
    if org and _ORG_END.search(org):
        out.source = _span(text, view, m.start("org"), m.start("org") + len(org))
    return out


_SLASH = re.compile(r"[／╱]|(?<=[\u4e00-\u9fff])/(?=[\u4e00-\u9fff])")
_REPORTED = re.compile(r"^[\u4e00-\u9fff]{0,4}(?:综合)?(?:报导|报道)$")


def parse_slash_dateline(text: str, view: str | None = None) -> Credits | None:
    """'记者王某／台北报导', '中广新闻／王某', '【王某、李某／综合报导】', '（王某／四川成都）'."""
    view = text if view is None else view
    if len(view) > 48 or not _SLASH.search(view):
        return None
    own = text if len(text) == len(view) else view
    core = _DATE.sub("", own).strip(" 【】[]〔〕()（）\u3000")
    vcore = _DATE.sub("", view).strip(" 【】[]〔〕()（）\u3000")
    if len(core) != len(vcore):
        core = vcore
    parts = [p.strip(" 【】()（）") for p in _SLASH.split(core)]
    vparts = [p.strip(" 【】()（）") for p in _SLASH.split(vcore)]
    if len(parts) != len(vparts) or not 2 <= len(parts) <= 3:
        return None
    out = Credits()
    if _REPORTED.match(vparts[-1]):
        who, vwho = parts[-2], vparts[-2]
        org, vorg = (parts[-3], vparts[-3]) if len(parts) == 3 else (None, None)
        # '中国时报 邱俐颖' / '台湾醒报记者潘姿羽' / '记者孙庆璋'
        m = re.match(r"^(.*?)(?:记者)\s*(.+)$", vwho)
        if m:
            if org is None and m.group(1).strip():
                org, vorg = who[: m.end(1)].strip(), m.group(1).strip()
            who = who[m.start(2):]
        elif " " in vwho.strip():
            head, _, tail = who.strip().rpartition(" ")
            vhead = vwho.strip().rpartition(" ")[0]
            if _ORG_END.search(vhead) or looks_like_person(tail):
                if org is None:
                    org, vorg = head, vhead
                who = tail
        out.authors = _names(who, strict=True)
        if org and vorg and _ORG_END.search(vorg.strip()):
            out.source = org.strip()
    elif len(parts) == 2:
        left, right = parts
        name = _trailing_person(right)
        if name and (_ORG_END.search(vparts[0]) or "媒" in vparts[0]):
            out.authors, out.source = [name], left
        elif looks_like_person(left) and re.fullmatch(rf"[{_CJK}]{{2,6}}", vparts[1]):
            out.authors = [left]  # （李某／四川成都）: name and place
    return out if out else None


def _trailing_person(seg: str) -> str | None:
    """The person's name closing a segment: '记者丁彦伶' / 'uho新闻中心林又旻' / '王某'."""
    seg = seg.strip()
    if looks_like_person(seg):
        return seg
    m = re.search(rf"(?:记者|記者|中心|新闻|新聞|报|報|网|網|社)\s*([{_CJK}]{{2,3}})$", seg)
    if m and looks_like_person(m.group(1)):
        return m.group(1)
    return None


# --- credits inside prose ------------------------------------------------------------------

_REPUBLISHED = re.compile(
    r"本文(?:来自|转载自|转自|首发于|经授权转载自)\s*(?P<kind>微信公众号|公众号|微博|头条号|百家号)?\s*[:：]?\s*"
    r"[“「\"『]?(?P<src>[^”」\"』，,。（(]{1,30}?)[”」\"』]?\s*(?:[（(][^）)]{0,40}[）)])?\s*"
    r"(?:[，,]\s*(?:作者|文)\s*[:：]?\s*(?P<au>[^，,。；;（(]{1,30}?))?\s*"
    r"(?:[，,]\s*(?:由)?\s*(?P<rep>[^，,。；;]{1,20}?)\s*经授权(?:发布|转载|转发))?\s*[。.]?$"
)
_AUTHORISED = re.compile(r"(?:^|[，,。])\s*(?:由)?\s*(?P<rep>[^，,。；;\s]{2,20}?)\s*经授权(?:发布|转载|转发)")
_AUTHORISED_BY = re.compile(r"经\s*(?P<rep>[^，,。；;\s]{2,20}?)\s*授权(?:发布|转载|转发)")
#: '（内容由某某提供。未经授权，不得转载。）': the outlet that supplied the piece
_PROVIDED = re.compile(r"(?:^|[(（【\[。，,])\s*(?:本文|文章|内容|稿件|本稿|此文)\s*由\s*(?P<src>[^，,。；;\s()（）]{2,20}?)\s*(?:独家)?提供")


def parse_credit_sentence(text: str, view: str | None = None) -> Credits | None:
    """'本文来自微信公众号“X”（ID：x），作者：Y，Z经授权发布。' and '经X授权发布' notices."""
    view = text if view is None else view
    if len(view) > 160 or not re.search(r"授权|本文来自|本文转|由.{2,20}提供", view):
        return None
    out = Credits()
    pm = _PROVIDED.search(view)
    if pm:
        out.source = plausible_source(_span(text, view, *pm.span("src")))
    m = _REPUBLISHED.search(view)
    if m:
        name = _span(text, view, *m.span("src")).strip()
        # '微信公众号示例观察': the kind of channel stays with its name
        out.source = ((m.group("kind") or "") + name) if name else None
        if m.group("au"):
            out.authors = _names(_span(text, view, *m.span("au")), strict=False)
        if m.group("rep") and not m.group("rep").startswith("本文"):
            out.republisher = _span(text, view, *m.span("rep")).strip() or None
    if out.republisher is None:
        m = _AUTHORISED.search(view) or _AUTHORISED_BY.search(view)
        if m and not re.match(r"^(?:未|不|请|须|需|必须|已)", m.group("rep")):
            rep = _span(text, view, *m.span("rep")).strip()
            if not re.search(r"未|不得|任何|本网|本站|本文|书面|协议", rep):
                out.republisher = rep
    return out if out else None


_DATELINE_BRACKET = re.compile(r"^\s*[【〔\[](?P<in>[^】〕\]]{2,24})[】〕\]]")
_DATELINE_WIRE = re.compile(
    r"^\s*(?P<org>[^\s，。,（(【]{1,8}?(?:社|网|报|台|新闻)|[^\s，。,（(【]{2,10}?)"
    r"(?:[^\s，。,（(]{0,6}?\d{1,2}\s*月\s*\d{1,2}\s*日)?(?:电|讯)\s*"
    r"(?:[（(](?P<cr>[^）)]{2,30})[）)])?"
)


def parse_dateline(text: str, view: str | None = None) -> Credits | None:
    """The opening of a news story: '新华网北京12月9日电（记者王某 李某）', '〔中央社〕',
    '【台湾醒报记者潘姿羽台北报导】'. The words stay in the body (they are part of the story)."""
    view = text if view is None else view
    out = Credits()
    m = _DATELINE_BRACKET.match(view)
    if m:
        inner_v = m.group("in")
        inner = _span(text, view, *m.span("in"))
        org = re.match(rf"^(?P<o>[{_CJK}A-Za-z]{{2,10}}?)(?:财讯|讯|电|综合报道|报道|报导)$", _DATE.sub("", inner_v))
        if _ORG_END.search(inner_v):
            out.source = inner
        elif org and not org.group("o").startswith(("本报", "本网", "本台", "本刊")) and "记者" not in org.group("o") \
                and not looks_like_person(org.group("o")):
            # '[某某财讯]', '【某某2005年07月03日报道】': the outlet's own opening
            out.source = _span(text, view, m.start("in"), m.start("in") + len(org.group("o")))
        else:
            rm = re.match(r"^(?P<org>.{2,10}?)记者(?P<who>.{2,8}?)(?:[\u4e00-\u9fff]{2})?(?:报导|报道)$", inner_v)
            if rm:
                who_v = rm.group("who")
                # '潘姿羽台北': a three-character name when five characters precede 报导
                for cut in (3, 2):
                    if len(who_v) >= cut and looks_like_person(who_v[:cut]):
                        out.authors = [_span(text, view, m.start("in") + rm.start("who"),
                                             m.start("in") + rm.start("who") + cut)]
                        break
                if _ORG_END.search(rm.group("org")):
                    out.source = _span(text, view, m.start("in") + rm.start("org"), m.start("in") + rm.end("org"))
        return out if out else None
    m = _DATELINE_WIRE.match(view)
    if m and (m.group("cr") or re.search(r"日电|讯", view[: m.end()])):
        org_v = m.group("org")
        if _ORG_END.search(org_v) and not org_v.startswith("本报"):
            out.source = _span(text, view, *m.span("org"))
        if m.group("cr"):
            cr, _ = parse_credit_line(_span(text, view, *m.span("cr")), m.group("cr"))
            out.authors = cr.authors
    return out if out else None


_TRAILING_BRACKET = re.compile(r"[（(](?P<in>[^（()）]{2,40})[）)]\s*\d?\s*$")  # '）1': a footnote mark
_TRAILING_PLAIN = re.compile(
    r"^(?P<names>[\u4e00-\u9fff]{2,4}(?:[\s、][\u4e00-\u9fff]{2,4}){0,3}?)\s*"
    r"(?:[/／]?\s*(?P<role>编译|整理|综合|编辑|责编)|\s*(?:[\u4e00-\u9fff]{2})?(?:报道|发自[\u4e00-\u9fff]{2,4}))?$"
)


def parse_trailing_credit(text: str, view: str | None = None) -> Credits | None:
    """A credit in brackets closing the last paragraph: '……（李某）', '(记者 王某)', '(王某/编译)',
    '（姚某 上海报道）', '(本文来源：某报 作者：王某)'. Bare names must look like persons."""
    view = text if view is None else view
    m = _TRAILING_BRACKET.search(view)
    if not m:
        return None
    inner_v = m.group("in").strip()
    inner = _span(text, view, *m.span("in")).strip()
    if len(inner) != len(inner_v):
        inner = inner_v
    found, _pure = parse_credit_line(f"（{inner}）", f"（{inner_v}）")
    if found:
        return found
    pm = _TRAILING_PLAIN.match(inner_v)
    if pm:
        # '(王某/编译)' names its role; a bare '（某某）' must look like a person's name
        role = pm.group("role")
        names = _names(inner[: pm.end("names")], strict=not role)
        if names and role in ("编辑", "责编"):
            return Credits(editors=names)  # '(王某 编辑)'
        if names:
            return Credits(authors=names)
    return None
