"""Chinese word segmentation, done once per document.

The segmenter is jieba's algorithm and dictionary. We run it through ``rjieba`` (the
jieba-rs binding: same dictionary, same DAG + HMM segmentation, compiled) because
segmentation is the pipeline's main cost; pure-Python ``jieba`` is the fallback when
rjieba is not installed. Either way the dictionary and our live-commerce user dictionary
load once per process, on first use.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Iterable
from importlib import resources
from itertools import chain, filterfalse

from nlp.masks import is_mask_token

_lock = threading.Lock()
_engine = None

#: token is worth indexing: has a letter, digit or CJK character
_WORDLIKE = re.compile(r"[0-9A-Za-z\u3400-\u9fff\uf900-\ufaff]")


def _userdict_lines() -> Iterable[tuple[str, int, str]]:
    text = resources.files("nlp").joinpath("data/userdict.txt").read_text("utf-8")
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        word = parts[0]
        freq = int(parts[1]) if len(parts) > 1 else 20000
        tag = parts[2] if len(parts) > 2 else "nz"
        yield word, freq, tag


class _Engine:
    def __init__(self) -> None:
        try:
            import rjieba

            self.impl = rjieba.Jieba()
            self.name = "rjieba"
            for word, freq, tag in _userdict_lines():
                self.impl.add_word(word, freq, tag)
            self._cut = self.impl.cut
            self._tag = self.impl.tag
        except ImportError:  # pragma: no cover - exercised only without rjieba
            import jieba
            import jieba.posseg

            jieba.setLogLevel(60)
            self.impl = jieba.Tokenizer()
            self.name = "jieba"
            for word, freq, tag in _userdict_lines():
                self.impl.add_word(word, freq, tag)
            posseg = jieba.posseg.POSTokenizer(self.impl)
            self._cut = lambda text, hmm=True: self.impl.lcut(text, HMM=hmm)
            self._tag = lambda text, hmm=True: [(p.word, p.flag) for p in posseg.cut(text, HMM=hmm)]

    def cut(self, text: str) -> list[str]:
        return list(self._cut(text, True))

    def tag(self, text: str) -> list[tuple[str, str]]:
        return list(self._tag(text, True))


def engine() -> _Engine:
    """The process-wide segmenter (loaded on first call, thread-safe)."""
    global _engine
    if _engine is None:
        with _lock:
            if _engine is None:
                _engine = _Engine()
    return _engine


def segment(text: str) -> list[str]:
    """Precise-mode tokens of ``text``, whitespace tokens dropped."""
    return list(filterfalse(str.isspace, engine().cut(text)))  # (in C: no Python loop per token)


def pos_tag(text: str) -> list[tuple[str, str]]:
    """(word, jieba POS flag) pairs; use only where POS is needed (entity candidates)."""
    return [(w, f) for w, f in engine().tag(text) if not w.isspace()]


def is_wordlike(token: str) -> bool:
    """Worth indexing or tagging: has a letter, digit or Han character and is not a mask
    (``*``, ``XX``, ``某某``, ``□``: see ``nlp.masks``)."""
    return bool(_WORDLIKE.search(token)) and not is_mask_token(token)


def search_terms(tokens: Iterable[str]) -> list[str]:
    """Index terms derived from precise-mode tokens without segmenting again.

    Like jieba's search mode: a long word also yields the dictionary words inside it
    (2- and 3-character windows), so 直播电商 is found by 电商. Punctuation and masks
    (``**``) never become terms. A token's terms are memoised: vocabulary repeats, and the
    dictionary look-ups were most of this function's cost.
    """
    return list(chain.from_iterable(map(_token_terms, tokens)))  # in C: ~500 tokens a body


@functools.lru_cache(maxsize=200_000)
def _token_terms(tok: str) -> tuple[str, ...]:
    if not is_wordlike(tok):
        return ()
    tok = tok.lower()
    n = len(tok)
    if n <= 2:
        return (tok,)
    eng = engine()
    has_word = getattr(eng.impl, "has_word", None)
    if has_word is None:  # jieba.Tokenizer
        freq = eng.impl.FREQ

        def has_word(w: str) -> bool:
            return bool(freq.get(w))

    subs = [tok[i : i + size] for size in (2, 3) if n > size for i in range(n - size + 1)]
    return (*(sub for sub in subs if has_word(sub)), tok)
