"""Filter values of searches, exports and rules resolved against the lexicons and the store.

One vocabulary per store (engine), built from the lexicons plus the values the store holds,
cached for ``TTL_S``; a value it does not know triggers one rebuild before it is an error, so
a tag or source added a moment ago is never refused.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from weakref import WeakKeyDictionary

from sqlalchemy import Engine

from nlp.script import to_simplified
from nlp.tagging.filter_vocab import KINDS, FilterVocabulary, UnknownFilterValue, lexicon_vocabulary
from storage.known_values import store_values

__all__ = ["UnknownFilterValue", "resolve", "resolve_filters", "rule_resolver", "vocabulary"]

TTL_S = 60.0
_lock = threading.Lock()
_cache: WeakKeyDictionary = WeakKeyDictionary()  # engine -> (built at, vocabulary)


def vocabulary(engine: Engine, *, fresh: bool = False) -> FilterVocabulary:
    """The store's filter vocabulary (cached ``TTL_S``; ``fresh``: rebuilt now)."""
    with _lock:
        hit = _cache.get(engine)
        if hit and not fresh and time.monotonic() - hit[0] < TTL_S:
            return hit[1]
    vocab = lexicon_vocabulary(store_values(engine))
    with _lock:
        _cache[engine] = (time.monotonic(), vocab)
    return vocab


def resolve(engine: Engine, kind: str, value: str) -> str:
    """The canonical ``kind`` value ``value`` names; UnknownFilterValue naming the closest."""
    try:
        return vocabulary(engine).resolve(kind, value, simplify=to_simplified)
    except UnknownFilterValue:
        return vocabulary(engine, fresh=True).resolve(kind, value, simplify=to_simplified)


def resolve_filters(engine: Engine, **filters: str | None) -> dict[str, str | None]:
    """``platform=…, topic=…, entity=…, source=…`` with every given value canonical (empty
    values become None); raises UnknownFilterValue for the first unknown one."""
    out: dict[str, str | None] = {}
    for kind, value in filters.items():
        if kind not in KINDS:
            raise ValueError(f"unknown filter {kind!r}")
        out[kind] = resolve(engine, kind, value) if value and value.strip() else None
    return out


def rule_resolver(engine: Engine) -> Callable[[str, str], str]:
    """What editorial.rules calls for each source/platform/topic value of a rule being saved."""
    return lambda kind, value: resolve(engine, kind, value)
