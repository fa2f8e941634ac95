"""Topics from weighted term evidence (taxonomy and weights in nlp/data/topics.toml)."""

from __future__ import annotations

import math
from collections import Counter

from nlp.tagging.lexicon import Lexicon
from nlp.tagging.tags import EntityTag, PlatformTag, TopicTag


def topic_tags(
    text: str,
    word_counts: Counter[str],
    title_words: set[str],
    platforms: list[PlatformTag],
    lex: Lexicon,
    entities: list[EntityTag] = (),  # type: ignore[assignment]
) -> list[TopicTag]:
    """At most ``max_topics`` topics whose evidence is strong enough; none when it is weak.

    ``word_counts`` counts the document's tokens, ``title_words`` are the title's tokens.
    """
    meta = lex.topic_meta
    boost = meta.get("title_boost", 2.0)
    evidence: dict[str, float] = {}

    def add(term: str, count: int, in_title: bool, pairs: list[tuple[str, float]]) -> None:
        strength = 1 + math.log(count) + (boost if in_title else 0.0)
        for topic, weight in pairs:
            evidence[topic] = evidence.get(topic, 0.0) + weight * strength

    terms = lex.topic_terms
    for term in word_counts.keys() & terms.keys():
        add(term, word_counts[term], term in title_words, terms[term])
    phrases = lex.topic_phrases
    for first in word_counts.keys() & phrases.keys():
        for term, pieces, pairs in phrases[first]:
            if all(p in word_counts for p in pieces):
                c = text.count(term)
                if c:
                    add(term, c, term in text[: _title_end(text)], pairs)
    present = {p.name for p in platforms}
    roles: list[str] = []
    for e in entities:
        if e.confirmed:
            roles.append(e.kind)
            entry = lex.entities.get(e.name)
            if entry is not None and entry.role:
                roles.append(entry.role)
    for topic in lex.topics.values():
        for name, weight in topic.platforms.items():
            if name in present:
                evidence[topic.name] = evidence.get(topic.name, 0.0) + weight
        for role in roles:
            weight = topic.entities.get(role)
            if weight:
                evidence[topic.name] = evidence.get(topic.name, 0.0) + weight
    if not evidence:
        return []
    floor = max(meta.get("min_evidence", 4.0), meta.get("relative", 0.4) * max(evidence.values()))
    half = meta.get("half", 4.0)
    chosen = sorted(((v, k) for k, v in evidence.items() if v >= floor), reverse=True)
    chosen = chosen[: int(meta.get("max_topics", 3))]
    return [TopicTag(name, round(v / (v + half), 3)) for v, name in chosen]


def _title_end(text: str) -> int:
    i = text.find("\n")
    return i if i >= 0 else 0
