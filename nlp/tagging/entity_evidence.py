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
COMPANY_SUFFIXES = frozenset({
    "公司", "有限公司", "集团", "控股", "股份", "科技", "网络科技", "电子商务", "电商", "银行", "证券",
    "传媒", "文化传媒", "文化", "网络", "实业", "贸易", "商贸",
})
AGENCY_SUFFIXES = frozenset({"传媒", "文化传媒", "文化"})
_MCN_CUE = re.compile(r"MCN|mcn|机构|孵化|经纪")
#: POS flags of a token that can be the name part before a company suffix
_NAMEISH_FLAGS = ("nr", "nt", "nz", "ns", "eng", "j")
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
    latin = Counter(w for w in words if _LATIN.match(w) and not _ACRONYM.match(w))

    def add(name: str, kind: str, how: str) -> None:
        if name.lower() in known or name in stopwords:
            return
        ev = found.get(name)
        if ev is None:
            found[name] = Evidence(name, kind, how, 1)
        else:
            ev.count += 1

    n = len(pos_tokens)
    for i, (word, _flag) in enumerate(pos_tokens):
        if word in ROLE_WORDS and i + 1 < n:
            nxt, nflag = pos_tokens[i + 1]
            if nflag.startswith("nr") and looks_like_person(nxt):
                add(nxt, "person", "role")
            elif i + 2 < n and len(nxt) == 1 and looks_like_person(nxt + pos_tokens[i + 2][0]):
                add(nxt + pos_tokens[i + 2][0], "person", "role")  # 主播|王|芳 split by jieba
        elif word in COMPANY_SUFFIXES and i > 0:
            prev, pflag = pos_tokens[i - 1]
            if (pflag.startswith(_NAMEISH_FLAGS) and len(prev) >= 2 and prev not in stopwords
                    and not prev.isdigit() and not looks_like_person(prev)):
                window = "".join(words[max(0, i - 15):i + 15])
                agency = word in AGENCY_SUFFIXES or bool(_MCN_CUE.search(window))
                add(prev + word, "mcn" if agency else "company", "suffix")
    for word, c in latin.items():
        if c >= 2:
            for _ in range(c):
                add(word, "brand", "latin")
    return found
