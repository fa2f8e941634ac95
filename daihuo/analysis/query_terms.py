"""Query analysis: the query is cleaned and segmented exactly like documents were."""

from __future__ import annotations

from nlp import segment as seg
from nlp.normalize import normalize
from nlp.script import to_simplified


def query_terms(query: str) -> list[str]:
    """Index terms for a user query (Traditional input is converted, masks are dropped)."""
    text = to_simplified(normalize(query[:2000]))
    return list(dict.fromkeys(seg.search_terms(seg.segment(text))))
