"""Every seed gold file, checked against ``extract`` on the seed text wrapped as plain HTML.

Seeds are text dumps (chrome on lines of its own), so this exercises the line-level rules.
Pinyin readings ``(chǎn)`` are the text layer's job (nlp/readings.py), so they are stripped
here before the ``must_drop`` check.
"""

from __future__ import annotations

import html
import json
import re
from datetime import date
from pathlib import Path

import pytest

from nlp.extract import extract
from nlp.script import to_simplified

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
GOLD = sorted((SHARED / "seeds" / "gold").glob("*.json"))
_READING = re.compile(r"[(（][a-zü]*[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ][a-zü]*[)）]")
_WS = re.compile(r"\s+")

pytestmark = pytest.mark.skipif(not GOLD, reason="../shared/seeds/gold is absent (not part of a clone)")


def _wrap(text: str) -> str:
    paras = "\n".join(f"<p>{html.escape(line)}</p>" for line in text.splitlines())
    return f"<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>\n{paras}\n</body></html>"


def _squash(s: str) -> str:
    return _WS.sub("", s)


def _clean_body(gold: dict, body: str) -> str:
    """The body as the text layer leaves it: readings stripped, Simplified, no whitespace."""
    region = "tw" if gold.get("script") == "traditional" else None
    return _squash(_READING.sub("", to_simplified(body, region)))


@pytest.fixture(scope="module", params=[p.name for p in GOLD] or ["none"])
def case(request):
    gold = json.loads((SHARED / "seeds" / "gold" / request.param).read_text("utf-8"))
    text = (SHARED / "seeds" / gold["seed"]).read_text("utf-8")
    return gold, extract(_wrap(text))


def test_no_error(case):
    gold, res = case
    assert res.error is None
    assert res.blocks


def test_title(case):
    gold, res = case
    if gold.get("title"):
        assert res.title is not None
        assert _squash(to_simplified(res.title)) == _squash(gold["title"])


def test_published(case):
    gold, res = case
    if gold.get("published"):
        assert res.published is not None and res.published.tzinfo is not None
        expected = gold["published"]
        if "T" in expected:
            assert res.published.replace(tzinfo=None).isoformat() == expected
        else:
            assert res.published.date() == date.fromisoformat(expected)


def test_body_start_and_end(case):
    gold, res = case
    body = _clean_body(gold, res.body)
    assert _squash(gold["body_starts_with"]) in body[:300]
    assert _squash(gold["body_ends_with"]) in body[-300:]


def test_must_keep(case):
    gold, res = case
    body = _clean_body(gold, res.body)
    for item in gold.get("must_keep", []):
        assert _squash(item) in body, item


def test_must_drop(case):
    gold, res = case
    body = _clean_body(gold, res.body)
    for item in gold.get("must_drop", []):
        if _READING.fullmatch(item):
            continue  # a pinyin reading: removed later by the text layer
        assert _squash(item) not in body, item


def test_authors_and_source(case):
    gold, res = case
    if gold.get("authors"):
        assert [to_simplified(a) for a in res.authors] == gold["authors"]
    if gold.get("original_source"):
        assert res.original_source and to_simplified(res.original_source) == gold["original_source"]
    if gold.get("canonical_url"):
        assert res.canonical_url == gold["canonical_url"]


def test_listing_cards_leave_the_body(case):
    gold, res = case
    listings = gold.get("listings") or []
    assert len(res.cards) == len(listings)
    body = to_simplified(res.body)
    for card in res.cards:
        for line in card:
            if len(line.strip()) > 4:
                assert line.strip() not in body
