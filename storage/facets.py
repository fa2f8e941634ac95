"""Filter tokens: the tags and source a search filters on, as words of the full-text index.

A platform filter checked per match (one tag probe each) costs as many probes as the query
has matches: at a million articles a common word among a rare platform meant thousands. As
a word in the index's ``facet_terms`` column it is intersected with the query inside the
engine (FTS5 doclists, GIN posting lists), newest first, and stops at the candidate cap.

Tokens are single index words that no query can produce: each starts with ``ǂ`` (U+01C2,
a letter to the tokenizers, never in Chinese or English text, and removed from user
queries by storage.query), then the kind letter, then the value when it is all CJK
ideographs (``ǂp抖音``, ``ǂs观察网``: readable in analysts' tools) or ``h`` and a hash of
it for any other value (``ǂph1a2b3c4d5e6``: case, spaces and punctuation never split or
merge values). The store removes the mark from the words it indexes for titles and bodies,
so neither the text query nor the filter words need a column filter, which costs FTS5 a
position-list check per matching row.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

#: the first character of every filter word
MARK = "\u01c2"
#: tag kinds a search can filter on, and their token letters (sources: "s")
KIND_LETTERS = {"platform": "p", "topic": "t", "entity": "e"}
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def facet_token(kind: str, value: str) -> str:
    """The index word for tag ``kind`` = ``value`` (a KIND_LETTERS kind, or "source")."""
    letter = "s" if kind == "source" else KIND_LETTERS[kind]
    if _CJK.fullmatch(value):
        return MARK + letter + value
    return MARK + letter + "h" + hashlib.blake2b(value.encode(), digest_size=6).hexdigest()


def facet_terms(tags: Iterable[tuple[str, str]], source: str | None) -> str:
    """``facet_terms`` of an article: its filterable (kind, value) tags and its source name."""
    tokens = [facet_token(kind, value) for kind, value in tags if kind in KIND_LETTERS]
    if source:
        tokens.append(facet_token("source", source))
    return " ".join(dict.fromkeys(tokens))
