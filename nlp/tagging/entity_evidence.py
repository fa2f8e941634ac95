"""Strong evidence that a name the lexicon does not know is an entity, and of what kind.

jieba's POS flags (``nr`` person, ``nt`` organisation) guess at unknown words: on real pages
they call cities, verbs, adverbs and common nouns names. A guess alone never reaches tags,
facets or the API; it does when the text itself vouches for it:

* **role**: a role word right before the name (主播 / 创始人 / CEO / 总裁 / 负责人 / 记者 …):
  ``淘宝直播负责人赵圆圆``, ``创始人王某``. The name must look like a person's (family name +
  one or two characters), so ``负责人表示`` is not a person.
* **suffix**: a name followed by a company suffix token (公司 / 集团 / 科技 / 传媒 / 银行 …):
  ``遥望科技``, ``宸帆集团``. The name token must itself be name-like (a POS name or Latin
  word, not a common noun: 电商公司 / 这家公司 are not companies); an agency suffix (传媒,
  文化传媒) or an MCN cue nearby makes it an ``mcn``.
* **latin**: a capitalised Latin word used at least twice (``Shopee … Shopee``), not an
  acronym or a word the lexicon lists: a brand.

Everything else a POS flag proposes stays a candidate for ``daihuo lexicon review``.
The word lists are data about Chinese usage, not about any page.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from nlp.extract.bylines import looks_like_person

ROLE_WORDS = frozenset({
    "主播", "带货主播", "网红", "达人", "博主", "创始人", "联合创始人", "创办人", "董事长", "副董事长",
    "总裁", "副总裁", "总经理", "副总经理", "CEO", "ceo", "CFO", "COO", "CTO", "负责人", "合伙人",
    "总监", "经理", "主任", "副主任", "局长", "副局长", "部长", "市长", "副市长", "书记", "院长", "校长",
    "教授", "研究员", "分析师", "律师", "记者", "主编", "主席", "发言人", "董事", "老板", "店主",
    "掌门人", "操盘手", "主理人", "代言人", "艺人", "演员", "歌手", "主持人", "总编辑", "首席执行官",
})
#: suffixes that end a company's registered or trade name (bare 公司/网络/文化 are too common)
COMPANY_SUFFIXES = frozenset({
    "有限公司", "股份有限公司", "集团", "控股", "科技", "网络科技", "电子商务", "传媒", "文化传媒",
    "证券", "实业", "商贸",
})
AGENCY_SUFFIXES = frozenset({"传媒", "文化传媒"})
_MCN_CUE = re.compile(r"MCN|mcn|机构|孵化|经纪")
#: POS flags a company's name part never has (numbers, pronouns, adverbs, particles ...)
_NOT_NAME_FLAGS = ("m", "r", "d", "p", "c", "u", "f", "t", "q", "x", "y", "e", "o", "w")
#: words that describe a company rather than name it (电商科技, 头部传媒 ...)
GENERIC = frozenset({
    "电商", "互联网", "直播", "网络", "信息", "数字", "智能", "物流", "新兴", "头部", "本土", "国内",
    "国际", "中国", "全球", "上市", "文化", "教育", "电子", "金融", "科技", "传媒", "媒体", "新闻",
    "企业", "公司", "集团", "大型", "小型", "民营", "国有", "外资", "旗下", "母公司", "子公司", "新媒体",
    "短视频", "视频", "娱乐", "体育", "健康", "医疗", "汽车", "能源", "高新", "创新", "未来", "现代",
    "发展", "制造", "资本", "通信", "投资", "工业", "电器", "电气", "管理", "服务", "咨询", "置业",
    "地产", "房地产", "开发", "建设", "生物", "医药", "药业", "食品", "股份", "控股", "有限", "实业",
    "贸易", "商贸", "证券", "网络科技", "电子商务", "文化传媒", "技术", "软件", "硬件", "材料", "环保",
})
#: capitalised English words that name a product line or a feature, not a brand on their own
LATIN_COMMON = frozenset({
    "Air", "Plus", "Pro", "Max", "Mini", "Tab", "Lite", "Live", "Shop", "Mall", "Store", "Home",
    "New", "The", "And", "For", "With", "Day", "Note", "Phone", "Pad", "Book", "Edition", "Series",
    "Online", "Global", "China", "Chinese", "World", "Group", "Media", "News", "Top", "Best", "Free",
    "One", "Two", "Three", "Ultra", "Smart", "Super", "Star", "Club", "Team", "Official",
    "Like", "Share", "More", "View", "Click", "Login", "Follow", "Video", "Photo", "Email",
})
_LATIN = re.compile(r"^[A-Z][A-Za-z0-9]{2,}$")
_ACRONYM = re.compile(r"^[A-Z0-9]{2,5}$")


@dataclass
class Evidence:
    name: str
    kind: str  # person | company | mcn | brand
    how: str  # role | suffix | latin
    count: int


def find_evidence(pos_tokens: list[tuple[str, str]], known: set[str] | frozenset[str] = frozenset(),
                  stopwords: frozenset[str] = frozenset()) -> dict[str, Evidence]:
    """Names the text vouches for, by name. ``known`` lists lexicon aliases (lower-cased) that
    need no evidence; ``stopwords`` are words that are never names."""
    found: dict[str, Evidence] = {}
    words = [w for w, _ in pos_tokens]
    latin = Counter(w for w in words if "A" <= w[:1] <= "Z" and _LATIN.match(w) and not _ACRONYM.match(w)
                    and w not in LATIN_COMMON)

    def add(name: str, kind: str, how: str) -> None:
        if name.lower() in known or name in stopwords:
            return
        ev = found.get(name)
        if ev is None:
            found[name] = Evidence(name, kind, how, 1)
        else:
            ev.count += 1

    n = len(pos_tokens)
    hits = [i for i, w in enumerate(words) if w in ROLE_WORDS or w in COMPANY_SUFFIXES]
    for i in hits:
        word = words[i]
        if word in ROLE_WORDS and i + 1 < n:
            nxt, nflag = pos_tokens[i + 1]
            if nflag.startswith("nr") and looks_like_person(nxt):
                # '吴俊|宽': jieba cut a three-character name after two
                if len(nxt) == 2 and i + 2 < n and _name_tail(pos_tokens[i + 2]) and looks_like_person(
                        nxt + pos_tokens[i + 2][0]):
                    nxt += pos_tokens[i + 2][0]
                add(nxt, "person", "role")
            elif i + 2 < n and len(nxt) == 1 and looks_like_person(nxt + pos_tokens[i + 2][0]):
                add(nxt + pos_tokens[i + 2][0], "person", "role")  # 主播|王|芳 split by jieba
        elif word in COMPANY_SUFFIXES and i > 0:
            name = _name_before(pos_tokens, i, stopwords)
            if name:
                window = "".join(words[max(0, i - 15):i + 15])
                agency = word in AGENCY_SUFFIXES or bool(_MCN_CUE.search(window))
                add(name + word, "mcn" if agency else "company", "suffix")
    for word, c in latin.items():
        if c >= 2:
            for _ in range(c):
                add(word, "brand", "latin")
    return found


def _name_before(pos_tokens: list[tuple[str, str]], i: int, stopwords: frozenset[str]) -> str | None:
    """The name part right before a company suffix: one 2-4 character token (锐意|科技), or
    two single characters jieba split (宸|帆|集团); None for a describing word (电商|科技)."""
    prev, flag = pos_tokens[i - 1]
    if len(prev) == 1 and i > 1 and len(pos_tokens[i - 2][0]) == 1:
        prev, flag = pos_tokens[i - 2][0] + prev, pos_tokens[i - 2][1]
    if not re.fullmatch(r"[\u4e00-\u9fff]{2,4}|[A-Za-z][A-Za-z0-9]{1,15}", prev):
        return None
    if flag.startswith(_NOT_NAME_FLAGS) or prev in GENERIC or prev in stopwords or looks_like_person(prev):
        return None
    if flag == "v" and i > 1 and pos_tokens[i - 2][1].startswith(("v", "d")):
        return None  # '正在|发展|科技': a verb phrase, not a name
    return prev


_FUNCTION_FLAGS = ("u", "p", "c", "d", "v", "r", "m", "q", "x", "y", "f", "t", "e", "o", "w")


def _name_tail(token: tuple[str, str]) -> bool:
    """A single character that can end a name (not 说 / 的 / 和 / punctuation)."""
    word, flag = token
    return len(word) == 1 and "\u4e00" <= word <= "\u9fff" and not flag.startswith(_FUNCTION_FLAGS)
