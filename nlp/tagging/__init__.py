"""Tagging: platforms, topics, keywords and entities of a cleaned document.

``tag_document`` works on the document's ONE segmentation (``nlp.segment.pos_tag`` of
``title + "\\n" + body``) and one scan of the text for all lexicon aliases; the lexicons are
data files (nlp/data/*.toml), see :mod:`nlp.tagging.lexicon`.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from itertools import accumulate
from operator import itemgetter

from nlp.tagging import lexicon
from nlp.tagging.entities import (
    EntityCandidate,
    confirm_entities,
    entity_candidates_report,
    entity_tags,
    reject_candidates,
)
from nlp.tagging.keywords import IdfTable, keywords
from nlp.tagging.lexicon import lexicon_version
from nlp.tagging.platforms import platform_tags
from nlp.tagging.scan import scan
from nlp.tagging.tags import EntityTag, PlatformTag, Tags, TopicTag
from nlp.tagging.topics import topic_tags

__all__ = [
    "EntityCandidate",
    "EntityTag",
    "IdfTable",
    "PlatformTag",
    "Tags",
    "TopicTag",
    "confirm_entities",
    "entity_candidates_report",
    "lexicon",
    "lexicon_version",
    "reject_candidates",
    "tag_document",
]

_first = itemgetter(0)


def tag_document(
    title: str,
    body: str,
    pos_tokens: list[tuple[str, str]],
    *,
    idf: IdfTable | None = None,
    keyword_count: int = 10,
) -> Tags:
    """Tag a cleaned, Simplified-Chinese document.

    ``pos_tokens`` is ``nlp.segment.pos_tag(title + "\\n" + body)`` (whitespace tokens
    dropped). ``idf`` is the corpus IDF table; jieba's bundled IDF is used without one.
    """
    lex = lexicon.get()
    title = title or ""
    text = f"{title}\n{body or ''}"
    words = list(map(_first, pos_tokens))
    mentions = scan(text, words, lex)
    platforms = platform_tags(mentions, len(title))

    word_counts = Counter(words)
    title_words: set[str] = set()
    if title.strip():
        # the title's tokens are a prefix of the document's: stop at its non-space length
        title_chars = len(title) - sum(ch.isspace() for ch in title)
        ends = list(accumulate(map(len, words[:len(title) + 1])))
        title_words = set(words[: bisect_right(ends, title_chars)])
    topics = topic_tags(text, word_counts, title_words, platforms, lex)

    pair_counts = Counter(pos_tokens)
    kws = keywords(pair_counts, len(pos_tokens), idf or IdfTable.from_jieba(), lex, keyword_count)
    entities = entity_tags(mentions, pair_counts, lex)
    return Tags(platforms, topics, kws, entities, lex.version)
