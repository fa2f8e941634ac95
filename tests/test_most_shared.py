"""Choosing the stored near-duplicate candidates to compare: the most shared LSH bands first,
the lowest id on ties, at most MAX_CANDIDATES per article, for a whole batch at once
(storage.store.most_shared_each)."""

from __future__ import annotations

import random
from collections import Counter

from storage.store import MAX_CANDIDATES, most_shared_each


def _joined(batch: list[list[list[int]]]) -> list[list[str]]:
    """The hits as _stored_members gives them: each key's ids joined by commas."""
    return [[",".join(map(str, ids)) for ids in lists] for lists in batch]


def _reference(lists: list[list[int]]) -> list[tuple[int, int]]:
    shared = Counter(i for ids in lists for i in ids)
    return sorted(shared.items(), key=lambda pair: (-pair[1], pair[0]))[:MAX_CANDIDATES]


def test_most_shared_bands_first_then_lowest_id() -> None:
    big = 2**39
    article = [[900, 7, 12, big], [7, 12, 5, big], [7, 12, 3, big]] + [[big, 1000 + i] for i in range(20)]
    best = most_shared_each(_joined([article]))[0]
    assert best[:4] == [(big, 23), (7, 3), (12, 3), (3, 1)]
    assert len(best) == MAX_CANDIDATES and best == _reference(article)
    assert most_shared_each([]) == []
    assert most_shared_each(_joined([[], [[4, 1], [1, 4]], []])) == [[], [(1, 2), (4, 2)], []]


def test_each_article_counts_only_its_own_hits() -> None:
    # the same ids under two articles: each article's bands are its own
    assert most_shared_each(_joined([[[1, 2], [2]], [[2], [1], [1]]])) == [[(2, 2), (1, 1)], [(1, 2), (2, 1)]]


def test_most_shared_agrees_with_a_plain_count_and_sort() -> None:
    rnd = random.Random(7)
    for _ in range(50):
        batch = []
        for _ in range(rnd.choice((1, 2, 30))):
            pool = [rnd.randrange(1, 10**9) for _ in range(rnd.choice((0, 3, MAX_CANDIDATES + 1, 400)))]
            lists = [rnd.sample(pool, rnd.randint(1, len(pool))) for _ in range(rnd.randint(0, 24))] if pool else []
            batch.append(lists)
        assert most_shared_each(_joined(batch)) == [_reference(lists) for lists in batch]


def test_a_hit_list_that_is_not_ids_is_an_error() -> None:
    import pytest

    with pytest.raises(ValueError, match="not a list of ids"):
        most_shared_each([["1,2,x"]])
