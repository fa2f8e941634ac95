"""The facet value numbers beside the search index: persistent, append-only, bounded."""

import pytest

from storage.facet_numbers import FacetNumbers


def test_numbers_persist_and_never_change_meaning(tmp_path):
    first = FacetNumbers(tmp_path, limit=100)
    a, b = first.number(0, "抖音"), first.number(2, "李佳琦")
    assert first.number(0, "抖音") == a and a != b
    first.save()
    second = FacetNumbers(tmp_path, limit=100)  # another process
    second.load()
    assert second.name(b) == (2, "李佳琦")
    c = second.number(1, "私域流量")
    second.save()
    with pytest.raises(KeyError):
        first.name(c)  # not read yet
    first.load()
    assert first.name(c) == (1, "私域流量") and first.name(a) == (0, "抖音")
    assert first.number(0, "快手") == c + 1  # appended after the other process's


def test_unsaved_numbers_are_not_read_by_others_and_a_lost_file_starts_over(tmp_path):
    mine = FacetNumbers(tmp_path, limit=100)
    mine.number(0, "抖音")
    other = FacetNumbers(tmp_path, limit=100)
    other.load()
    with pytest.raises(KeyError):
        other.name(0)
    mine.save()
    (tmp_path / "facet-values.json").unlink()  # the index directory was replaced
    mine.load()
    with pytest.raises(KeyError):
        mine.name(0)


def test_more_values_than_the_bits_allow_is_an_error_that_says_so(tmp_path):
    numbers = FacetNumbers(tmp_path, limit=2)
    numbers.number(0, "a")
    numbers.number(0, "b")
    with pytest.raises(RuntimeError, match="distinct facet values"):
        numbers.number(0, "c")
