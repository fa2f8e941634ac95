#!/usr/bin/env python3
"""Typed entity precision of what reaches tags, against hand labels on real pages.

Labels (bench/data/entity_labels.jsonl): on 61 pages of ../shared (one or two per site), every
name the tagger or jieba's POS flags proposed, typed by a reader: person, place, company,
brand, mcn, ``company|brand`` (either is right), or none (a common word, a fragment of a
name, an institution). The page text is read from ../shared at run time.

* precision: of the entities that reach tags (Tags.entities), the share whose type is right;
* recall: of the labelled entities, the share that reach tags with the right type. The pool
  is what the tagger and the POS flags proposed, so a name neither proposed is not counted:
  recall here is an upper bound on the true one.
* "POS guesses included" shows what analysts saw before (every POS guess as an entity).

Leave-site-out: which kinds of evidence count (lexicon only / + role / + suffix / + latin) is
picked on half of the sites and scored on the other half, both ways.

Also times the text layer + segmentation + tagging per 5 KB of article text (goal <= 2 ms).

Usage: PYTHONPATH=. python bench/entities.py [--errors]
"""

from __future__ import annotations

import json
import sys
import time
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bylines import SHARED, page_html  # noqa: E402
from leave_site_out import PRF, leave_site_out, quality_args  # noqa: E402

LABELS = ROOT / "bench" / "data" / "entity_labels.jsonl"
SETTINGS = [("lexicon",), ("lexicon", "role"), ("lexicon", "role", "suffix"),
            ("lexicon", "role", "suffix", "latin")]
SHIPPED = SETTINGS[-1]


def load() -> list[dict]:
    return [json.loads(x) for x in LABELS.read_text("utf-8").splitlines() if x.strip() and not x.startswith("#")]


def tag_pages(pages: list[str]) -> tuple[dict[str, object], dict[str, float], int]:
    """Tags of each page through the whole pipeline, then the CPU milliseconds per 5 KB
    (1,700 characters) of the text layer, segmentation and tagging, best of three passes."""
    from nlp import segment as seg
    from nlp.document import Page, process_page
    from nlp.tagging import tag_document
    from nlp.textlayer import prepare_text

    docs = {}
    for pid in pages:
        docs[pid] = process_page(Page(url=f"http://bench.local/{pid}", body=page_html(pid).encode("utf-8"),
                                      fetched_at=datetime(2026, 1, 1, tzinfo=timezone.utc)))
    ok = [d for d in docs.values() if d.ok]
    raw = [[b.text for b in d.extraction.blocks] for d in ok]
    chars = sum(len(d.title or "") + len(d.body) for d in ok)

    def best(fn) -> float:
        times = []
        for _ in range(3):
            t0 = time.process_time()
            fn()
            times.append(time.process_time() - t0)
        return min(times) / chars * 1700 * 1000

    per = {
        "text": best(lambda: [prepare_text(r) for r in raw]),
        "segment": best(lambda: [(seg.segment(d.title or ""), seg.pos_tag(d.body)) for d in ok]),
        "tag": best(lambda: [tag_document(d.title or "", d.body, [(w, "x") for w in d.title_tokens]
                                          + [("\n", "x")] + d.pos_tokens) for d in ok]),
    }
    return {pid: d.tags for pid, d in docs.items()}, per, chars


def right(label: str, kind: str) -> bool:
    return kind in label.split("|")


def score(items, tags, evidence: tuple[str, ...], with_guesses: bool = False) -> PRF:
    by_page = defaultdict(dict)
    for it in items:
        by_page[it["page"]][it["name"]] = it["type"]
    total = PRF()
    for pid, labels in by_page.items():
        t = tags.get(pid)
        shown = {}
        if t is not None:
            ents = [e for e in t.entities if e.evidence in evidence]
            if with_guesses:
                ents += t.candidates
            shown = {e.name: e.kind for e in ents}
        for name, kind in shown.items():
            if name in labels:
                ok = right(labels[name], kind)
                total = total + PRF(int(ok), int(not ok), 0)
        for name, label in labels.items():
            if label != "none" and not (name in shown and right(label, shown[name])):
                total = total + PRF(0, 0, 1)
    return total


def main() -> None:
    args = quality_args(SHARED)
    items = load()
    pages = sorted({it["page"] for it in items})
    tags, per, _chars = tag_pages(pages)
    typed = sum(it["type"] != "none" for it in items)
    unlabelled = sum(1 for pid in pages if tags[pid] for e in tags[pid].entities
                     if e.name not in {it["name"] for it in items if it["page"] == pid})
    print(f"entity labels: {len(items)} names on {len(pages)} pages from {len({i['site'] for i in items})} sites, "
          f"{typed} typed entities; trusted outputs outside the labelled pool: {unlabelled}")
    print("whole set:")
    print(f"  reaches tags (shipped: {'+'.join(SHIPPED)})  {score(items, tags, SHIPPED).line()}")
    for ev in SETTINGS[:-1]:
        print(f"  evidence {'+'.join(ev):28} {score(items, tags, ev).line()}")
    print(f"  POS guesses included (before)   {score(items, tags, SHIPPED, with_guesses=True).line()}")
    pooled, notes = leave_site_out(items, lambda it: it["site"], lambda it, s: score(it, tags, s), SETTINGS)
    print("leave-site-out (evidence kinds picked on one half of the sites, scored on the other):")
    for n in notes:
        print(n)
    print(f"  pooled held-out  {pooled.line()}   <- predicts unseen sites")
    print(f"CPU ms per 5 KB (1,700 characters; {len(pages)} pages, best of 3 passes, machine shared): "
          f"text layer {per['text']:.2f}, segmentation {per['segment']:.2f}, tagging {per['tag']:.2f}, "
          f"total {sum(per.values()):.2f}")
    if args.errors:
        by_page = defaultdict(dict)
        for it in items:
            by_page[it["page"]][it["name"]] = it["type"]
        for pid in pages:
            t = tags[pid]
            for e in t.entities if t else []:
                lab = by_page[pid].get(e.name, "?")
                if not right(lab, e.kind):
                    print(f"  wrong: {e.name} as {e.kind}/{e.evidence} (label {lab})  {pid[:50]}")


if __name__ == "__main__":
    main()
