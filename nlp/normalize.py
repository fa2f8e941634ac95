"""Character-level normalisation of extracted text.

Deliberately narrower than NFKC: full NFKC would turn Chinese punctuation (，：（）) into ASCII
and ideographic compatibility characters into others, changing the text readers see. We fold
only full-width ASCII letters and digits (``ＧＭＶ２０２０`` → ``GMV2020``, which search and
tagging need), drop zero-width and control characters, collapse whitespace and decode HTML
entities once (``&amp;lt;`` stays ``&lt;``: it was meant literally).
"""

from __future__ import annotations

import html
import re

# Full-width 0-9, A-Z, a-z are U+FF10.., U+FF21.., U+FF41..: a fixed offset from ASCII.
_FOLD = {cp: cp - 0xFEE0 for r in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
         for cp in range(r[0], r[1] + 1)}
# Zero-width and invisible formatting characters, soft hyphen, BOM, C0/C1 controls (except
# tab and newline, which are whitespace handled below).
_INVISIBLE = "\u00ad\u180e\u200b\u200c\u200d\u200e\u200f\u202a-\u202e\u2060-\u2064\u206a-\u206f\ufeff"
_DELETE = re.compile(f"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f{_INVISIBLE}]")
# Horizontal whitespace including NBSP and the ideographic space used to indent paragraphs.
_SPACES = re.compile(r"[^\S\n]+")
_NEWLINES = re.compile(r"\s*\n\s*")
# Cheap scans that let the common case (nothing to fix) skip the rewriting passes.
_HAS_FULL_WIDTH = re.compile("[\uff10-\uff5a]")
# (every character str.isspace() knows except the plain space; a negated \S class scans ~5x slower)
_ODD_SPACE = re.compile(
    "[\t\n\x0b\x0c\r\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
)


def normalize(text: str) -> str:
    """Normalised ``text``: see the module docstring. Newlines survive (collapsed to one)."""
    if "&" in text:
        text = html.unescape(text)
    if _HAS_FULL_WIDTH.search(text):
        text = text.translate(_FOLD)
    text = _DELETE.sub("", text)
    if "  " in text or _ODD_SPACE.search(text):
        text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x0c", "\n")
        text = _SPACES.sub(" ", text)
        if "\n" in text:
            text = _NEWLINES.sub("\n", text)
    return text.strip()
