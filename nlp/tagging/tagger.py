"""tag_document: every tag of a document from its one segmentation and one alias scan."""

from __future__ import annotations

from collections import Counter
from operator import itemgetter

from nlp.tagging import lexicon
from nlp.tagging.entities import entity_tags
from nlp.tagging.entity_evidence import find_evidence
from nlp.tagging.keywords import IdfTable, keywords_and_candidates
from nlp.tagging.platforms import platform_tags
from nlp.tagging.scan import scan
from nlp.tagging.tags import Tags
from nlp.tagging.topics import topic_tags

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
    dropped); it is never segmented again. ``idf`` is the corpus IDF table; jieba's bundled
    IDF is the fallback.
    """
    lex = lexicon.get()
    title = title or ""
    text = f"{title}\n{body or ''}"
    words = list(map(_first, pos_tokens))
    mentions = scan(words, lex)
    title_chars = len(title) - sum(ch.isspace() for ch in title)
    platforms = platform_tags(mentions, title_chars)

    word_counts = Counter(words)
    kws, candidates = keywords_and_candidates(
        word_counts, dict(pos_tokens), len(pos_tokens), idf or IdfTable.from_jieba(), lex,
        keyword_count,
    )
    evidence = find_evidence(pos_tokens, lex.table.keys(), _never_names(lex))
    entities, guesses = entity_tags(mentions, candidates, evidence)
    topics = topic_tags(
        text, word_counts, _title_words(title_chars, pos_tokens), platforms, lex, entities
    )
    return Tags(platforms, topics, kws, entities, lex.version, guesses)


_NEVER: dict[str, frozenset[str]] = {}


def _never_names(lex: lexicon.Lexicon) -> frozenset[str]:
    """Stopwords and rejected names, joined once per lexicon version."""
    words = _NEVER.get(lex.version)
    if words is None:
        _NEVER.clear()
        words = _NEVER[lex.version] = lex.stopwords | lex.rejected
    return words


def _title_words(title_chars: int, pos_tokens: list[tuple[str, str]]) -> set[str]:
    """The title's tokens: the prefix of the document's tokens covering its non-space characters."""
    remaining = title_chars
    out: set[str] = set()
    for word, _flag in pos_tokens:
        if remaining <= 0:
            break
        out.add(word)
        remaining -= len(word)
    return out
