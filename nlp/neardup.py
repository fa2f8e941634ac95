"""Near-duplicate detection for reposts: one-permutation MinHash over character shingles + LSH.

Content farms repost an article with new chrome lines, 5-20% of its sentences spun or dropped,
names masked (``**``) and sometimes in Traditional script (converted back by the text layer).
What survives all of that is most of the article's character sequence, so the fingerprint is a
MinHash of the set of 4-character shingles of the body with everything else normalised away:

* only Han characters, ASCII digits and letters count: punctuation, whitespace, symbol masks
  (``**``, ``□``, ``○``, see ``nlp.masks``) and Latin case are dropped, so ``**``, full stops vs
  commas and paragraph breaks change nothing but the few shingles that span them (letter and
  Han masks, ``XX`` and ``某某``, count like any substituted word: rare, and a few shingles);
* lines with fewer than ``MIN_LINE`` Han characters (datelines, "来源：", counters, share
  prompts, chrome the extractor left) are ignored unless the whole body is made of them;
* characters, not jieba words: a masked or substituted word changes the segmentation of its
  neighbours, while a character shingle is only touched when it overlaps the change. No
  segmentation cost either.

Signature: one-permutation hashing (Li et al. 2012) with ``K`` = 128 buckets and optimal
densification (Shrivastava 2017) for empty buckets: every shingle is hashed ONCE (numpy, a
64-bit mixer), its top 7 bits pick a bucket and each bucket keeps its minimum. The fraction of
buckets two fingerprints agree on estimates the Jaccard similarity of their shingle sets
(standard error <= 0.045). Each bucket stores the low 16 bits of its minimum (b-bit MinHash,
Li & König 2010): 256 bytes per document; chance 16-bit collisions add ~0.00002 to the
estimate. The format (hash constants, densification order) is fixed: stored fingerprints are
compared with new ones, so changing it means re-fingerprinting the store.

LSH: ``BANDS`` bands of ``ROWS`` buckets; a band's key is its four 16-bit values packed into a
signed 64-bit integer (the store's ``lsh_keys(band, key)`` rows). Documents sharing any band key
are candidates, and are then verified by ``similarity``. With ROWS = 4 and BANDS = 24 a pair at
Jaccard 0.5 becomes a candidate with probability 0.79, at 0.6 with 0.96, at 0.7 with 0.998,
at 0.2 with 0.04 and at 0.1 with 0.002: a lookup stays a handful of candidates even among
same-topic articles (unrelated real news pairs sit at ~0.00, p99 0.01).

THRESHOLD = 0.5 on the estimated Jaccard. On the labelled set (bench/dedup.py) reposts sit at
median 0.82 (5th percentile 0.68) against their original and 0.72 (0.56) against each other;
different articles about the same platform and event, sharing vocabulary and sometimes a
quoted announcement, stay at or below 0.27 (95th percentile 0.20). Centring the threshold in
that gap keeps both sides several standard errors (0.044) away from it; it errs on the side
of precision, since a false merge hides a story while a missed repost only shows twice.

numpy does the text scan and hashing: pure Python costs ~1.5 ms for a 5,000-character body,
numpy ~0.1 ms.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

#: shingle length in characters (UTF-16 code units)
SHINGLE = 4
#: MinHash buckets (one-permutation hashing); must be a power of two
K = 128
#: LSH bands x rows: BANDS * ROWS <= K lanes are used for candidate keys
BANDS = 24
ROWS = 4
#: estimated Jaccard similarity at or above which two bodies are one story (see module doc)
THRESHOLD = 0.5
#: lines with fewer Han characters than this are chrome-like and ignored
MIN_LINE = 8
#: a body with fewer characters than this gets an empty fingerprint (never a duplicate)
MIN_CHARS = 12

_BUCKET_BITS = K.bit_length() - 1
_SHIFT = np.uint64(64 - _BUCKET_BITS)
_SEED = np.uint64(0x9E3779B97F4A7C15)
_C1 = np.uint64(0xFF51AFD7ED558CCD)
_C2 = np.uint64(0xC4CEB9FE1A85EC53)
_S33 = np.uint64(33)
_BOUNDS = np.arange(K, dtype=np.uint64) << _SHIFT
_LOW16 = np.uint64(0xFFFF)
#: a band's key is its ROWS 16-bit lanes read as one little-endian signed 64-bit integer
_BAND_KEYS = struct.Struct(f"<{BANDS}q")
assert ROWS == 4, "a band key packs four 16-bit lanes into 64 bits"


def _splitmix64(state: int) -> tuple[int, int]:
    state = (state + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return state, z ^ (z >> 31)


def _densify_orders() -> list[list[int]]:
    """For each bucket, a fixed pseudo-random order of the other buckets to borrow from when
    it is empty. Fixed forever (own PRNG, not ``random``): stored fingerprints depend on it."""
    orders = []
    state = 0x5EED
    for i in range(K):
        others = [j for j in range(K) if j != i]
        for n in range(len(others) - 1, 0, -1):  # Fisher-Yates
            state, r = _splitmix64(state)
            m = r % (n + 1)
            others[n], others[m] = others[m], others[n]
        orders.append(others)
    return orders


_DENSIFY = _densify_orders()


@dataclass(frozen=True)
class Fingerprint:
    """A body's MinHash signature: ``K`` little-endian uint16 values (256 bytes).

    All-zero values mean "no usable text": such a fingerprint has no band keys and is similar
    to nothing.
    """

    values: bytes

    def __post_init__(self) -> None:
        if len(self.values) != 2 * K:
            raise ValueError(f"a fingerprint is {2 * K} bytes, got {len(self.values)}")

    @property
    def empty(self) -> bool:
        return not any(self.values)

    def band_keys(self) -> list[tuple[int, int]]:
        """(band, key) pairs for the LSH table; ``key`` fits a signed 64-bit BIGINT."""
        if self.empty:
            return []
        return list(enumerate(_BAND_KEYS.unpack_from(self.values)))

    def to_bytes(self) -> bytes:
        return self.values

    @classmethod
    def from_bytes(cls, data: bytes) -> Fingerprint:
        return cls(bytes(data))

    def lanes(self) -> np.ndarray:
        return np.frombuffer(self.values, dtype="<u2")


EMPTY = Fingerprint(bytes(2 * K))


def _class_table() -> np.ndarray:
    """Class of every UTF-16 code unit: 0 dropped, 1 ASCII digit or lower-case letter, 2 Han,
    3 newline, 4 upper-case ASCII letter."""
    table = np.zeros(0x10000, dtype=np.uint8)
    # CJK extension A, unified ideographs, compatibility ideographs, and the surrogates of
    # planes 2-3 (extensions B-H; a stray low surrogate of an emoji is harmless)
    for lo, hi in ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0xD840, 0xD8BF),
                   (0xDC00, 0xDFFF)):
        table[lo : hi + 1] = 2
    table[0x30:0x3A] = 1
    table[0x61:0x7B] = 1
    table[0x41:0x5B] = 4
    table[0x0A] = 3
    return table


_CLASS = _class_table()


def _kept_units(body: str) -> np.ndarray:
    """UTF-16 code units of the text that is shingled (see the module docstring), as uint64.

    numpy rather than a regex: ``re.sub`` over punctuation costs ~25 ns per character (130 us
    for a 5,000-character body), a table lookup and a few vector operations ~30 us.
    """
    u = np.frombuffer(body.encode("utf-16-le"), dtype="<u2")
    cls = _CLASS.take(u)
    upper = cls == 4
    if upper.any():
        u = np.where(upper, u + np.uint16(32), u)
        cls = np.where(upper, np.uint8(1), cls)
    word = (cls == 1) | (cls == 2)
    # Han characters per line; lines with fewer than MIN_LINE are dropped
    starts = np.flatnonzero(cls == 3) + 1
    starts = np.concatenate(([0], starts[starts < len(u)]))
    if len(u):
        han_per_line = np.add.reduceat((cls == 2).astype(np.int32), starts)
        lengths = np.diff(np.append(starts, len(u)))
        keep = word & np.repeat(han_per_line >= MIN_LINE, lengths)
        if np.count_nonzero(keep) >= MIN_CHARS:
            word = keep
        # else only short lines (a brief, a list): keep them all
    return u[word].astype(np.uint64)


def shingle_text(body: str) -> str:
    """The text that is shingled (for inspection): masks, punctuation, whitespace and
    chrome-like short lines removed."""
    return _kept_units(body).astype("<u2").tobytes().decode("utf-16-le", errors="replace")


def _mix(x: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finaliser: every input bit flips each output bit with p ~ 1/2."""
    x = x ^ (x >> _S33)
    x *= _C1
    x ^= x >> _S33
    x *= _C2
    x ^= x >> _S33
    return x


def fingerprint(body: str) -> Fingerprint:
    """The fingerprint of a normalised clean body (see the module docstring)."""
    c = _kept_units(body)
    if len(c) < MIN_CHARS:
        return EMPTY
    n = len(c) - SHINGLE + 1
    # four 16-bit code units pack into one 64-bit integer, then one hash per shingle
    x = c[:n] | (c[1 : n + 1] << np.uint64(16)) | (c[2 : n + 2] << np.uint64(32)) \
        | (c[3 : n + 3] << np.uint64(48))
    with np.errstate(over="ignore"):
        h = np.sort(_mix(x ^ _SEED))
    # the first hash at or above each bucket's lower bound is that bucket's minimum, if it
    # still falls in the bucket
    starts = np.searchsorted(h, _BOUNDS)
    found = h[np.minimum(starts, len(h) - 1)]
    filled = (starts < len(h)) & ((found >> _SHIFT) == np.arange(K, dtype=np.uint64))
    values = (found & _LOW16).astype("<u2")
    # 0 marks "empty fingerprint": a real minimum whose low bits are 0 becomes 1 (p = 2^-16)
    values[values == 0] = 1
    if not filled.all():
        have = filled.tolist()
        for i in np.flatnonzero(~filled).tolist():
            j = next(j for j in _DENSIFY[i] if have[j])
            values[i] = values[j]
    return Fingerprint(values.tobytes())


def similarity(a: Fingerprint, b: Fingerprint) -> float:
    """Estimated Jaccard similarity of the two bodies' shingle sets, in [0, 1]."""
    if a.empty or b.empty:
        return 0.0
    return int(np.count_nonzero(a.lanes() == b.lanes())) / K


def similarity_of(a: bytes, b: bytes) -> float:
    """``similarity`` of two fingerprints' stored bytes, without building Fingerprints: the
    store checks ~8 candidates per new article, and this costs ~5 us a pair instead of ~25."""
    if len(a) != 2 * K or len(b) != 2 * K:
        raise ValueError(f"a fingerprint is {2 * K} bytes, got {len(a)} and {len(b)}")
    if a == EMPTY.values or b == EMPTY.values:  # (a bytes comparison: ndarray.any() costs more)
        return 0.0
    return int(np.count_nonzero(np.frombuffer(a, dtype="<u2") == np.frombuffer(b, dtype="<u2"))) / K


def is_near_duplicate(a: Fingerprint, b: Fingerprint) -> bool:
    """Same story (a repost): ``similarity >= THRESHOLD``."""
    return similarity(a, b) >= THRESHOLD


class MemoryIndex:
    """In-memory LSH index with the semantics of the store's ``lsh_keys`` table."""

    def __init__(self) -> None:
        self._keys: dict[tuple[int, int], list[int]] = {}
        self._fps: dict[int, Fingerprint] = {}

    def __len__(self) -> int:
        return len(self._fps)

    def add(self, doc_id: int, fp: Fingerprint) -> None:
        self._fps[doc_id] = fp
        for key in fp.band_keys():
            self._keys.setdefault(key, []).append(doc_id)

    def candidates(self, fp: Fingerprint) -> set[int]:
        """Ids of added documents sharing at least one band key with ``fp``."""
        out: set[int] = set()
        get = self._keys.get
        for key in fp.band_keys():
            ids = get(key)
            if ids:
                out.update(ids)
        return out

    def find(self, fp: Fingerprint) -> int | None:
        """The most similar added near-duplicate of ``fp`` (lowest id on ties), or None."""
        best, best_sim = None, THRESHOLD
        for doc_id in sorted(self.candidates(fp)):
            sim = similarity(fp, self._fps[doc_id])
            if sim > best_sim or (sim == best_sim and best is None):
                best, best_sim = doc_id, sim
        return best
