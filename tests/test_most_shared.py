"""Choosing the stored near-duplicate candidates to compare: the most shared LSH bands first,
the lowest id on ties, at most MAX_CANDIDATES (storage.store._most_shared)."""

from __future__ import annotations

import random

from storage.store import MAX_CANDIDATES, _most_shared


def _reference(shared: dict[int, int]) -> list[tuple[int, int]]:
    return sorted(shared.items(), key=lambda pair: (-pair[1], pair[0]))[:MAX_CANDIDATES]


def test_most_shared_bands_first_then_lowest_id() -> None:
    shared = {900: 1, 7: 3, 12: 3, 5: 1, 2**39: 24, 3: 1} | {1000 + i: 1 for i in range(20)}
    assert _most_shared(shared)[:4] == [(2**39, 24), (7, 3), (12, 3), (3, 1)]
    assert _most_shared(shared) == _reference(shared)
    assert _most_shared({}) == [] and _most_shared({4: 2, 1: 2}) == [(1, 2), (4, 2)]


def test_most_shared_agrees_with_a_plain_sort() -> None:
    rnd = random.Random(7)
    for _ in range(500):
        shared = {rnd.randrange(1, 10**9): rnd.choice((1, 1, 2, 3, 24))
                  for _ in range(rnd.choice((0, 3, MAX_CANDIDATES, MAX_CANDIDATES + 1, 400)))}
        assert _most_shared(shared) == _reference(shared)
