"""Bytes to text for HTML pages, including pages that lie about their charset.

Chinese pages are often GBK or Big5 while declaring UTF-8 (or nothing), or UTF-8 while
declaring GB2312. We therefore treat every declaration as a claim to verify:

1. a byte-order mark settles it (as in the WHATWG encoding spec: a BOM beats any header);
2. the HTTP header, then ``<meta charset>`` / ``http-equiv`` in the first 4 KB, then the source
   registry's hint are tried in that order; a claim is accepted when the bytes decode cleanly
   under it and the result is not obviously worse than the other CJK family;
3. otherwise we sniff: strict UTF-8, then GB18030 vs Big5-HKSCS scored by how many of the
   decoded characters are common Chinese characters or CJK punctuation.

GB2312 and GBK are decoded as GB18030 (a superset: pages labelled GB2312 routinely contain
GBK-only characters) and Big5 as Big5-HKSCS. Bytes input never raises: a page that no charset
decodes cleanly comes back with ``errors="replace"`` text and ``error`` set, so the caller can
keep it with its error rather than drop it.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

#: how far into the document a ``<meta>`` charset declaration is looked for
META_SCAN_BYTES = 4096
#: characters scored when comparing candidate decodings (enough to be decisive, cheap)
SCORE_CHARS = 4000
#: a page whose decoding replaced at most this share of characters counts as decoded
#: (real pages carry the odd truncated byte sequence); above it ``error`` is set
MAX_REPLACED_SHARE = 0.01

# The ~400 most frequent Han characters of jieba's dictionary, their Traditional forms and
# CJK punctuation. A correct decoding of Chinese text has a large share of them among its
# non-ASCII characters; GBK read as Big5 (or the reverse) has very few.
_COMMON = frozenset(
    "一是人了不在有大中国和为这上他个地年来我会以到时要出的生学说道民家子也成行下们于后就发自之对得主长可过天作分方用多你着部能市等业全里工公经本都而高政法面门动日进区事代那去心小同北定开产前其军还然起种所如现理机体表力好外与文当两实重新三么只山水关明从化平建又制南内西没此将员名手最东头者月间无安看见各城十相但已些正口通想度加第她合院物性战由位常点海意场武使次二向治因立数样身情入原问把路被并利石老教万知级量任江及应省资委务元美特期世湖回系比气汉总展电科金先声提品设或义王社很统处四首共马形己儿司太目基领队直计别女权话少流命至报米给打变果书清活几州华解议更称程今决张导术府才保交放管结师便走达族反再题色五京河接条规式县白它改风光运信受什组听布百济党指论强做取技黄神选记斯真却职号界件花类何眼兵传带空干农边据集联古广完质阳难增历史专官每住商即步认车台林必死游举线言皇土团收考求德叫近备研争非具李众连调感转笑國爲這個來會時學說們於後發對長過業裏經門動進區開產軍還種現機體與當兩實麼關從內沒將員東頭間無見戰點場數樣問並萬級應資務氣漢總電聲設義統處馬兒領隊計別權話報給變書幾華議稱決張導術結師達題條規縣風運組聽濟黨論強黃選記卻職號類傳帶幹農邊據聯廣質陽難歷專認車臺遊舉線團備爭衆連調轉裡眾臺着"
    "，。、：；！？「」『』“”‘’（）《》【】…—"
)

_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "gb18030": "gb18030",
    "big5": "big5hkscs",
    "big5hkscs": "big5hkscs",
    "cp950": "big5hkscs",
    "cp936": "gb18030",
    "utf_8": "utf-8",
    "ascii": "utf-8",  # ASCII labels are commonly slapped on UTF-8 pages; UTF-8 is a superset
}
_CJK_LEGACY = ("gb18030", "big5hkscs")

_META_CHARSET = re.compile(
    rb"""<meta[^>]{0,512}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{2,40})""", re.I
)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


@dataclass
class Decoded:
    text: str
    charset: str
    #: what the page said (HTTP header, else ``<meta>``), normalised; None when silent
    declared: str | None
    #: a declaration existed and the bytes turned out to be in another charset
    declared_wrong: bool
    #: None when the page decoded; a short reason when the text is a best effort
    error: str | None
    #: characters replaced by U+FFFD in ``text``
    replaced: int = 0


def normalize_charset(label: str | None) -> str | None:
    """Python codec name for a declared label, folded into the superset we decode with.

    Unknown labels return None (a typo in a meta tag is the same as no declaration).
    """
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    if label in ("x-gbk", "gb_2312-80", "csgb2312", "x-euc-cn", "euc-cn", "x-gb18030"):
        return "gb18030"
    if label in ("big5-hkscs", "x-x-big5", "csbig5", "x-big5"):
        return "big5hkscs"
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return _ALIASES.get(name.replace("-", "_"), name)


def _meta_charset(body: bytes) -> str | None:
    m = _META_CHARSET.search(body[:META_SCAN_BYTES])
    return m.group(1).decode("ascii", "ignore") if m else None


def _strict(body: bytes, charset: str) -> str | None:
    try:
        return body.decode(charset)
    except (UnicodeDecodeError, LookupError):
        return None


def common_share(text: str) -> float:
    """Share of non-ASCII characters (in the first SCORE_CHARS) that are common Chinese."""
    sample = [c for c in text[:SCORE_CHARS] if c > "\x7f"]
    if not sample:
        return 0.0
    return sum(c in _COMMON for c in sample) / len(sample)


def _best_cjk(body: bytes, order: tuple[str, ...]) -> tuple[str, str] | None:
    """The strict decoding among ``order`` with the best common-character share."""
    best: tuple[float, str, str] | None = None
    for cs in order:
        text = _strict(body, cs)
        if text is None:
            continue
        score = common_share(text)
        if best is None or score > best[0] + 0.05:  # ties go to the earlier (preferred) one
            best = (score, cs, text)
    return (best[2], best[1]) if best else None


def decode_html(
    body: bytes, *, header_charset: str | None = None, hint: str | None = None
) -> Decoded:
    """Decode an HTML (or text) page; see the module docstring for the order of evidence."""
    header = normalize_charset(header_charset)
    meta = normalize_charset(_meta_charset(body))
    declared = header or meta

    for bom, cs in _BOMS:
        if body.startswith(bom):
            text = body[len(bom) :].decode(cs, "replace")
            return _result(text, cs, declared, cs == "utf-8" and declared not in (None, "utf-8"))

    utf8 = _strict(body, "utf-8")
    if body.isascii():  # pure ASCII: every ASCII-compatible claim is right
        cs = declared or "utf-8"
        text = _strict(body, cs) if cs not in ("utf-16-le", "utf-16-be", "utf-16") else None
        return _result(body.decode("ascii") if text is None else text, cs, declared, False)

    tried: set[str] = set()
    for claim in (header, meta, normalize_charset(hint)):
        if not claim or claim in tried:
            continue
        tried.add(claim)
        if claim == "utf-8":
            if utf8 is not None:
                return _result(utf8, "utf-8", declared, False)
            continue
        if utf8 is not None:
            # Valid multi-byte UTF-8 by accident is vanishingly rare in GBK/Big5/Latin text,
            # so a clean UTF-8 decode overrides any legacy claim.
            break
        if claim in _CJK_LEGACY:
            other = _CJK_LEGACY[1] if claim == _CJK_LEGACY[0] else _CJK_LEGACY[0]
            got = _best_cjk(body, (claim, other))
            if got is not None:
                return _result(got[0], got[1], declared, declared is not None and got[1] != declared)
            continue
        text = _strict(body, claim)
        if text is not None and (common_share(text) > 0 or not _looks_cjk(body)):
            # A single-byte claim (latin-1, windows-1252) decodes anything: only believe it
            # when the bytes do not read as Chinese.
            return _result(text, claim, declared, declared is not None and claim != declared)

    # Sniffing: no (usable) claim.
    if utf8 is not None:
        return _result(utf8, "utf-8", declared, declared not in (None, "utf-8"))
    got = _best_cjk(body, _CJK_LEGACY)
    if got is not None:
        return _result(got[0], got[1], declared, declared is not None and got[1] != declared)
    return _best_effort(body, declared)


def _looks_cjk(body: bytes) -> bool:
    got = _best_cjk(body, _CJK_LEGACY)
    return got is not None and common_share(got[0]) >= 0.2


# A run of non-ASCII bytes; a GBK lead byte takes its trail byte even when that is ASCII
# (0x40-0x7E), so a GBK character is never cut in two.
_HIGH_RUN = re.compile(rb"(?:[\x81-\xfe][\x40-\x7e]|[\x80-\xff])+")
MIXED = "utf-8+gb18030"


def _decode_mixed(body: bytes) -> str:
    """UTF-8 page with GBK pieces pasted in (templates vs. old CMS content): decode each
    non-ASCII run as UTF-8 when it is valid UTF-8, else as GB18030."""
    out: list[str] = []
    pos = 0
    for m in _HIGH_RUN.finditer(body):
        out.append(body[pos : m.start()].decode("ascii"))
        run = m.group()
        try:
            out.append(run.decode("utf-8"))
        except UnicodeDecodeError:
            out.append(run.decode("gb18030", "replace"))
        pos = m.end()
    out.append(body[pos:].decode("ascii"))
    return "".join(out)


def _best_effort(body: bytes, declared: str | None) -> Decoded:
    """Nothing decodes strictly: the candidate with the fewest replacements and the most
    common characters. GB18030 reads almost any Big5 byte pair (and random bytes) without
    complaint, so replacements alone do not decide.

    ``error`` stays None only when the winner replaced at most MAX_REPLACED_SHARE of its
    characters and reads as Chinese; otherwise the text is kept but flagged.
    """
    best: tuple[float, str, str] | None = None
    for cs in dict.fromkeys(c for c in (declared, "utf-8", *_CJK_LEGACY, MIXED) if c):
        try:
            text = _decode_mixed(body) if cs == MIXED else body.decode(cs, "replace")
        except LookupError:
            continue
        score = common_share(text) - 10 * text.count("\ufffd") / max(len(text), 1)
        if best is None or score > best[0]:
            best = (score, cs, text)
    assert best is not None  # utf-8 is always available
    _, cs, text = best
    result = _result(text, cs, declared, declared is not None and cs != declared)
    if result.error is None and common_share(text) < 0.2:
        result.error = f"undecodable: no charset reads these bytes as text (best guess {cs})"
    return result


def _result(text: str, charset: str, declared: str | None, wrong: bool) -> Decoded:
    replaced = text.count("\ufffd")
    error = None
    if replaced and replaced > MAX_REPLACED_SHARE * max(len(text), 1):
        error = f"undecodable: {replaced} of {len(text)} characters replaced decoding as {charset}"
    return Decoded(text, charset, declared, wrong, error, replaced)
