"""Traditional/Simplified script detection and conversion with upstream OpenCC.

Converters are built once per process and config (building one reads its dictionaries).

Region decides the config: ``tw2s`` for Taiwan sources, ``hk2s`` for Hong Kong, ``t2s``
otherwise. Never the phrase-rewriting ``*p`` configs (``tw2sp``) on stored text: they rewrite
vocabulary (軟體→软件) even inside quotations. None of these configs touches 「」 quotes.

Detection does not convert: it counts characters that only Traditional text uses (OpenCC's
t2s changes them) against characters only Simplified text uses (s2t changes them), with a
regex character class, so a Simplified page costs a scan at C speed and no conversion.
"""

from __future__ import annotations

import functools
import re
from urllib.parse import urlsplit

import opencc

SIMPLIFIED = "simplified"
TRADITIONAL = "traditional"
MIXED = "mixed"

CONFIGS = {"tw": "tw2s", "hk": "hk2s"}
DEFAULT_CONFIG = "t2s"

# Portals that publish from Taiwan / Hong Kong on generic TLDs. Registry hints override.
_TW_DOMAINS = (
    "udn.com", "chinatimes.com", "ettoday.net", "setn.com", "storm.mg", "nownews.com",
    "tvbs.com.tw", "cna.com.tw", "ltn.com.tw", "businesstoday.com.tw", "businessweekly.com.tw",
    "bnext.com.tw", "technews.tw", "inside.com.tw", "cw.com.tw", "newtalk.tw", "mirrormedia.mg",
    "thenewslens.com", "upmedia.mg", "ctee.com.tw", "cnyes.com", "pchome.com.tw",
)
_HK_DOMAINS = (
    "hk01.com", "mingpao.com", "singtao.com", "stheadline.com", "on.cc", "hket.com",
    "inmediahk.net", "thestandnews.com", "rthk.hk", "am730.com.hk", "now.com", "tvb.com",
    "hkej.com", "wenweipo.com", "takungpao.com", "bastillepost.com", "hkcd.com",
)
_HINTS = {
    "tw": "tw", "zh-tw": "tw", "zh_tw": "tw", "zh-hant-tw": "tw", "taiwan": "tw",
    "hk": "hk", "zh-hk": "hk", "zh_hk": "hk", "zh-hant-hk": "hk", "hongkong": "hk",
    "hong kong": "hk", "mo": "hk", "zh-mo": "hk", "macau": "hk", "macao": "hk",
}
_MAINLAND_HINTS = {"cn", "zh-cn", "zh_cn", "zh-hans", "mainland", "sg", "zh-sg"}


def region_for(url: str | None, hint: str | None = None) -> str | None:
    """'tw', 'hk' or None (mainland/unknown → t2s) for a page.

    The source registry's ``hint`` wins (including an explicit mainland hint, which returns
    None); else the host: ``.tw`` / ``.hk`` (and ``.mo``, which writes like Hong Kong),
    ``tw.`` / ``hk.`` editions of global portals, a few known portals, ``/zh-tw/`` paths.
    """
    if hint:
        h = hint.strip().lower()
        if h in _HINTS:
            return _HINTS[h]
        if h in _MAINLAND_HINTS:
            return None
    if not url:
        return None
    parts = urlsplit(url if "//" in url else "//" + url)
    host = (parts.hostname or "").lower().rstrip(".")
    labels = host.split(".")
    if labels[-1] == "tw" or "tw" in labels[:-2]:
        return "tw"
    if labels[-1] in ("hk", "mo") or "hk" in labels[:-2]:
        return "hk"
    if any(host == d or host.endswith("." + d) for d in _TW_DOMAINS):
        return "tw"
    if any(host == d or host.endswith("." + d) for d in _HK_DOMAINS):
        return "hk"
    path = parts.path.lower()
    for seg in ("/zh-tw/", "/zh-hant-tw/", "/tw/"):
        if seg in path + "/":
            return "tw"
    for seg in ("/zh-hk/", "/zh-hant-hk/", "/hk/"):
        if seg in path + "/":
            return "hk"
    return None


def region_from_text(text: str) -> str | None:
    """'tw' when Traditional ``text`` of unknown origin writes in Taiwan's standard, else None.

    The tell is the particle zhe: Taiwan writes 著 (看著, 接著), OpenCC's standard and Hong
    Kong's write 着. ``t2s`` keeps 著 (it reads it as zhù, 著名), so Taiwan-style text
    converted with ``t2s`` keeps 接著; ``tw2s`` gives 接着 and still keeps 著名 and 显著
    through its phrase table.
    """
    return "tw" if "著" in text and "着" not in text else None


def config_for(region: str | None) -> str:
    """The OpenCC config for a region: tw2s, hk2s or t2s."""
    return CONFIGS.get(region or "", DEFAULT_CONFIG)


@functools.cache
def converter(config: str) -> opencc.OpenCC:
    """Process-wide OpenCC converter for ``config`` (e.g. ``t2s``, ``tw2s``, ``hk2s``)."""
    return opencc.OpenCC(config)


def to_simplified(text: str, region: str | None = None) -> str:
    return converter(config_for(region)).convert(text)


def _changed_chars(config: str) -> str:
    """Han characters that ``config`` changes when converted on their own."""
    chars = [chr(c) for c in range(0x4E00, 0xA000)] + [chr(c) for c in range(0x3400, 0x4DC0)]
    # One per line so OpenCC's phrase matching never spans two characters.
    out = converter(config).convert("\n".join(chars)).split("\n")
    return "".join(c for c, o in zip(chars, out, strict=True) if o != c)


@functools.cache
def _classes() -> tuple[re.Pattern[str], re.Pattern[str]]:
    trad = set(_changed_chars("t2s")) | set(_changed_chars("tw2s")) | set(_changed_chars("hk2s"))
    simp = set(_changed_chars("s2t"))
    both = trad & simp  # characters that map both ways carry no signal
    trad -= both
    simp -= both
    def cls(chars: set[str]) -> re.Pattern[str]:  # noqa: E306
        return re.compile("[" + "".join(sorted(chars)) + "]")
    return cls(trad), cls(simp)


def script_counts(text: str) -> tuple[int, int]:
    """(Traditional-only, Simplified-only) character counts in ``text``."""
    trad, simp = _classes()
    return len(trad.findall(text)), len(simp.findall(text))


def has_traditional(text: str) -> bool:
    """Cheap early exit: any Traditional-only character at all."""
    return _classes()[0].search(text) is not None


def classify(trad: int, simp: int) -> str | None:
    """Script of a text from its counts; None when it has no distinguishing character."""
    if trad > simp:
        return TRADITIONAL
    if simp > trad:
        return SIMPLIFIED
    return None if trad == 0 else MIXED


def detect(text: str) -> str:
    """'simplified' (also for text with no distinguishing character) or 'traditional'."""
    return TRADITIONAL if classify(*script_counts(text)) == TRADITIONAL else SIMPLIFIED
