"""Filter tokens: the tags and source a search filters on, as words of the full-text index.

A platform filter checked per match (one tag probe each) costs as many probes as the query
has matches: at a million articles a common word among a rare platform meant thousands. As
a word in the index's ``facet_terms`` column it is intersected with the query inside the
engine (FTS5 doclists, GIN posting lists), newest first, and stops at the candidate cap.

Tokens are single index words that no segmented text produces in that column:
``p抖音`` (kind letter + value when the value is all CJK ideographs, readable for analysts),
``ph1a2b3c4d5e6`` (kind letter + ``h`` + a hash for any other value, so case, spaces and
punctuation never split or merge values), and ``s12`` for source id 12 (names can't change,
but ids are shorter and never need escaping).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

#: tag kinds a search can filter on, and their token letters
KIND_LETTERS = {"platform": "p", "topic": "t", "entity": "e"}
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def facet_token(kind: str, value: str) -> str:
    """The index word for tag ``kind`` = ``value`` (``kind`` one of KIND_LETTERS)."""
    letter = KIND_LETTERS[kind]
    if _CJK.fullmatch(value):
        return letter + value
    return letter + "h" + hashlib.blake2b(value.encode(), digest_size=6).hexdigest()


def source_token(source_id: int | None) -> str:
    """The index word for a source (``s0`` matches nothing: ids start at 1)."""
    return f"s{int(source_id or 0)}"


def facet_terms(tags: Iterable[tuple[str, str]], source_id: int | None) -> str:
    """``facet_terms`` of an article: its filterable (kind, value) tags and its source."""
    tokens = [facet_token(kind, value) for kind, value in tags if kind in KIND_LETTERS]
    if source_id:
        tokens.append(source_token(source_id))
    return " ".join(dict.fromkeys(tokens))
