#!/usr/bin/env python3
"""Byline quality: authors, editors and original source against hand labels on real pages.

Labels (bench/data/bylines_labels.jsonl) name pages of ../shared/bench/extraction and
../shared/seeds by id and give the credits a careful reader finds on the page; the page text
is read from ../shared at run time (nothing of it is stored here). Reporters, 通讯员 and
translators count as authors; photographers do not. A predicted source matches when one of
the two names contains the other (红网 vs 红网-潇湘晨报); names compare in Simplified.

Figures, two ways: the whole set at the shipped settings, and leave-site-out (the zone sizes
``credits.ABOVE``/``BELOW``/``EDITOR_BELOW`` picked on half of the sites, scored on the other half, both ways).

Usage: PYTHONPATH=. python bench/bylines.py [--errors]
"""

from __future__ import annotations

import html as htmllib
import json
import re
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from leave_site_out import PRF, leave_site_out, quality_args  # noqa: E402

SHARED = ROOT.parent / "shared"
LABELS = ROOT / "bench" / "data" / "bylines_labels.jsonl"
FIELDS = ("authors", "editors", "source")
DEFAULT = (12, 6, 40)
SETTINGS = [(a, b, e) for a in (6, 12) for b in (3, 6) for e in (20, 40)]


def load_labels() -> list[dict]:
    return [json.loads(line) for line in LABELS.read_text("utf-8").splitlines()
            if line.strip() and not line.startswith("#")]


def page_html(page: str) -> str:
    from nlp.charset import decode_html

    if page.startswith("seeds/"):
        text = (SHARED / "seeds" / f"{page.split('/', 1)[1]}.txt").read_text("utf-8")
        paras = "\n".join(f"<p>{htmllib.escape(line)}</p>" for line in text.splitlines())
        return f"<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>{paras}</body></html>"
    dataset, pid = page.split("/", 1)
    return decode_html((SHARED / "bench" / "extraction" / dataset / f"{pid}.html").read_bytes()).text


def norm(name: str) -> str:
    from nlp.script import to_simplified

    return re.sub(r"[\s·・.．•]+", "", to_simplified(unicodedata.normalize("NFKC", name))).lower()


def predict(html: str, setting: tuple[int, int]) -> dict:
    from nlp.extract import credits, extract

    credits.ABOVE, credits.BELOW, credits.EDITOR_BELOW = setting
    r = extract(html)
    return {"authors": r.authors, "editors": r.editors, "source": r.original_source}


def score_one(gold: dict, pred: dict) -> dict[str, PRF]:
    out = {}
    for f in ("authors", "editors"):
        g = {norm(x) for x in gold[f]}
        p = {norm(x) for x in pred[f] or []} - {""}
        out[f] = PRF(len(g & p), len(p - g), len(g - p))
    g, p = gold["source"], pred["source"]
    g, p = (norm(g) if g else ""), (norm(p) if p else "")
    hit = bool(g and p and (g in p or p in g))
    out["source"] = PRF(int(hit), int(bool(p) and not hit), int(bool(g) and not hit))
    return out


def main() -> None:
    args = quality_args(SHARED, "list every page with a mistake")
    labels = load_labels()
    pages = {lab["page"]: page_html(lab["page"]) for lab in labels}
    cache: dict[tuple, dict] = {}

    def scores(items, setting, field=None) -> PRF:
        total = PRF()
        for lab in items:
            key = (lab["page"], setting)
            if key not in cache:
                cache[key] = score_one(lab, predict(pages[lab["page"]], setting))
            for f in (field,) if field else FIELDS:
                total = total + cache[key][f]
        return total

    n_sites = len({lab["site"] for lab in labels})
    n_items = sum(len(lab["authors"]) + len(lab["editors"]) + bool(lab["source"]) for lab in labels)
    print(f"byline labels: {len(labels)} pages, {n_sites} sites, {n_items} labelled credits")
    print(f"whole set (shipped zone sizes above/below/editor-below = {DEFAULT}):")
    for f in FIELDS:
        print(f"  {f:8} {scores(labels, DEFAULT, f).line()}")
    print(f"  {'all':8} {scores(labels, DEFAULT).line()}")
    pooled, notes = leave_site_out(labels, lambda lab: lab["site"], lambda it, s: scores(it, s), SETTINGS)
    print("leave-site-out (zone sizes picked on one half of the sites, scored on the other):")
    for n in notes:
        print(n)
    print(f"  {'all':8} {pooled.line()}   <- predicts unseen sites")
    if args.errors:
        for lab in labels:
            pred = predict(pages[lab["page"]], DEFAULT)
            s = score_one(lab, pred)
            if any(x.fp or x.fn for x in s.values()):
                print(f"{lab['page'][:60]}\n   gold {[lab[f] for f in FIELDS]}\n   pred {[pred[f] for f in FIELDS]}")


if __name__ == "__main__":
    main()
