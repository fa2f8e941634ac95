"""Keywords: TF-IDF over the document's jieba tokens.

The IDF comes from the project's own corpus (:meth:`IdfTable.build`, rebuilt by ``daihuo
reprocess``); until one exists, jieba's bundled ``analyse/idf.txt`` is the fallback (loaded
once). Stopwords, masks (``**``), numbers, single characters and function-word POS are never
keywords; domain terms (topic vocabulary) get a small boost.
"""

from __future__ import annotations

import functools
import heapq
import importlib.util
import math
import os
import re
from collections import Counter
from collections.abc import Iterable
from operator import itemgetter
from pathlib import Path

from nlp.tagging.lexicon import Lexicon

#: jieba POS flag -> entity kind of a candidate name
CANDIDATE_FLAGS = {"nr": "person", "nrfg": "person", "nrt": "person", "nt": "company"}
_CJK_NAME = re.compile(r"^[\u3400-\u9fff\u00b7]{2,8}$")

_HEADER = "# daihuo idf v1 docs="
_NUMBER = re.compile(r"^[\d.,%％万亿千百wWkK+\-:/]+$")
_WORDLIKE = re.compile(r"[0-9A-Za-z\u3400-\u9fff\uf900-\ufaff]")
#: jieba POS flags a keyword may carry: nouns, verbs/verbal nouns, English, abbreviations, fixed phrases
_KEEP_FLAGS = ("n", "v", "eng", "j", "l")
#: ...except these
_DROP_FLAGS = frozenset({"vd", "vg", "ng", "nrfg_"})
DOMAIN_BOOST = 1.3


class IdfTable:
    """Inverse document frequencies of a corpus: ``idf = ln((1 + N) / (1 + df)) + 1``."""

    def __init__(self, df: dict[str, int] | None = None, n_docs: int = 0, *,
                 idf: dict[str, float] | None = None, default: float | None = None) -> None:
        self.df = df or {}
        self.n_docs = n_docs
        if idf is None:
            idf = {w: math.log((1 + n_docs) / (1 + d)) + 1 for w, d in self.df.items()}
        self._idf = idf
        if default is None:  # a word the corpus never saw is as rare as a hapax
            default = math.log((1 + n_docs) / 2) + 1 if n_docs else 10.0
        self.default = default
        #: (word, flag) -> weight or None; tokens repeat across documents, filters run once
        self.cache: dict[tuple[str, str], tuple[float | None, str | None]] = {}  # (word, POS flag)
        self.cache_lexicon = ""

    def __len__(self) -> int:
        return len(self._idf)

    def idf(self, word: str) -> float:
        return self._idf.get(word, self.default)

    @classmethod
    def build(cls, token_lists: Iterable[list[str]], *, min_df: int = 2) -> IdfTable:
        """Count document frequencies over ``token_lists`` (one list per document).

        Words seen in fewer than ``min_df`` documents are not stored (they get the default,
        hapax IDF), which keeps the table small on a large corpus.
        """
        df: Counter[str] = Counter()
        n = 0
        for tokens in token_lists:
            n += 1
            df.update({t for t in tokens if "*" not in t and _WORDLIKE.search(t)})
        return cls({w: c for w, c in df.items() if c >= min_df}, n)

    def save(self, path: str | os.PathLike[str]) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(f"{_HEADER}{self.n_docs}\n")
            for w, d in sorted(self.df.items(), key=lambda kv: (-kv[1], kv[0])):
                if "\t" not in w and "\n" not in w:
                    f.write(f"{w}\t{d}\n")
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> IdfTable:
        with open(path, encoding="utf-8") as f:
            header = f.readline()
            if not header.startswith(_HEADER):
                raise ValueError(f"{path}: not a daihuo IDF table")
            n = int(header[len(_HEADER):])
            df = {}
            for line in f:
                w, _, d = line.rstrip("\n").rpartition("\t")
                if w:
                    df[w] = int(d)
        return cls(df, n)

    @classmethod
    def from_jieba(cls) -> IdfTable:
        """jieba's bundled IDF (general Chinese corpus); the fallback, loaded once."""
        return _jieba_idf()


@functools.cache
def _jieba_idf() -> IdfTable:
    spec = importlib.util.find_spec("jieba")
    if spec is None or not spec.submodule_search_locations:
        return IdfTable()
    path = Path(next(iter(spec.submodule_search_locations))) / "analyse" / "idf.txt"
    idf: dict[str, float] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            w, _, v = line.rstrip("\n").rpartition(" ")
            if w:
                idf[w] = float(v)
    values = sorted(idf.values())
    median = values[len(values) // 2] if values else 10.0
    return IdfTable(idf=idf, default=median)


def _token_info(word: str, flag: str, idf: IdfTable, lex: Lexicon) -> tuple[float | None, str | None]:
    """(keyword weight or None, entity-candidate kind or None) of a token; computed once."""
    kind = CANDIDATE_FLAGS.get(flag)
    if kind is not None and not (
        _CJK_NAME.match(word)
        and word not in lex.rejected
        and word not in lex.stopwords
        and word.lower() not in lex.table  # a known alias (or blocker) is not a new name
    ):
        kind = None
    if (
        len(word) < 2
        or "*" in word
        or not _WORDLIKE.search(word)
        or _NUMBER.match(word)
        or word in lex.stopwords
        or flag in _DROP_FLAGS
        or not flag.startswith(_KEEP_FLAGS)
    ):
        return None, kind
    w = idf.idf(word)
    if word in lex.topic_terms:
        w *= DOMAIN_BOOST
    return w, kind


def keywords_and_candidates(
    word_counts: Counter[str],
    flags: dict[str, str],
    total: int,
    idf: IdfTable,
    lex: Lexicon,
    top: int = 10,
) -> tuple[list[tuple[str, float]], list[tuple[str, str, int]]]:
    """Top ``top`` (word, tf-idf) keywords, and the (word, kind, count) entity candidates.

    One loop over the document's distinct tokens serves both; what a token is worth is cached
    on the IDF table (tokens recur across documents). ``flags`` maps a word to its POS flag.
    """
    if not total:
        return [], []
    cache = idf.cache
    # bound memory on a long reprocess; stopwords and boosts change with the lexicon
    if len(cache) > 500_000 or idf.cache_lexicon != lex.version:
        cache.clear()
        idf.cache_lexicon = lex.version
    scores: dict[str, float] = {}
    cands: list[tuple[str, str, int]] = []
    for word, c in word_counts.items():
        # keyed by the POS flag too: the same word tagged differently in another document
        # must not decide this one's keywords (tags would depend on crawl order)
        key = (word, flags[word])
        info = cache.get(key)
        if info is None:
            info = cache[key] = _token_info(word, flags[word], idf, lex)
        w, kind = info
        if w is not None:
            scores[word] = c * w
        if kind is not None:
            cands.append((word, kind, c))
    best = heapq.nlargest(top, scores.items(), key=itemgetter(1))
    return [(w, round(s / total, 4)) for w, s in best], cands
