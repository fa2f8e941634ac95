#!/usr/bin/env python3
"""Extraction quality and speed: daihuo vs trafilatura (default, favor_precision) vs readability.

Runs every extractor over ../shared/bench/extraction/ in the same process and prints mean
precision/recall/F1 per language group (the metric of ../shared/bench/score_extraction.py,
imported, not copied) and pages per CPU-second. Gold convention: for ``daniel_zh`` the
headline is the first line of the text, elsewhere the body alone.

Usage: PYTHONPATH=. python bench/extraction.py [--only daihuo] [--dump DIR] [--worst N]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "bench"
DATA = SHARED / "extraction"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(SHARED))

def decode(body: bytes) -> str:
    """Bytes to text exactly as `daihuo parse` does (nlp.charset)."""
    from nlp.charset import decode_html

    return decode_html(body).text


def run_daihuo(html: str, with_title: bool) -> str:
    from nlp.extract import extract

    r = extract(html)
    if with_title and r.title:
        return r.title + "\n" + r.body
    return r.body


def run_trafilatura(html: str, with_title: bool, precision: bool = False) -> str:
    import trafilatura

    if with_title:
        doc = trafilatura.bare_extraction(html, favor_precision=precision, with_metadata=True)
        if doc is None:
            return ""
        text = doc.text or ""
        return ((doc.title or "") + "\n" + text) if doc.title else text
    return trafilatura.extract(html, favor_precision=precision) or ""


def run_readability(html: str, with_title: bool) -> str:
    from lxml import html as lhtml
    from readability import Document

    d = Document(html)
    summary = d.summary(html_partial=True)
    tree = lhtml.fragment_fromstring(summary, create_parent="div")
    for el in tree.iter("p", "div", "br", "li", "h1", "h2", "h3", "h4", "tr", "td"):
        el.tail = "\n" + (el.tail or "")
    text = tree.text_content()
    text = "\n".join(ln.strip() for ln in text.splitlines() if ln.strip())
    return (d.short_title() + "\n" + text) if with_title else text


EXTRACTORS = {
    "daihuo": run_daihuo,
    "trafilatura": run_trafilatura,
    "trafilatura_precision": lambda h, t: run_trafilatura(h, t, precision=True),
    "readability": run_readability,
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", action="append", help="run only these extractors")
    ap.add_argument("--dump", help="write daihuo predictions to DIR/<dataset>/<id>.txt")
    ap.add_argument("--worst", type=int, default=0, help="list the N worst daihuo pages")
    args = ap.parse_args()
    if not DATA.exists():
        sys.exit(f"no benchmark data at {DATA} (../shared is not part of a clone)")
    from score_extraction import prf

    rows = [json.loads(line) for line in open(DATA / "manifest.jsonl", encoding="utf-8")]
    pages = []
    for r in rows:
        body = (DATA / r["dataset"] / f"{r['id']}.html").read_bytes()
        gold = (DATA / r["dataset"] / f"{r['id']}.txt").read_text("utf-8")
        grp = "zh" if r["dataset"].endswith("_zh") else "en"
        pages.append((r, decode(body), gold, grp, r["dataset"] == "daniel_zh"))

    names = args.only or list(EXTRACTORS)
    results = {}
    for name in names:
        fn = EXTRACTORS[name]
        scores: dict[str, list[tuple[float, float, float]]] = {"zh": [], "en": []}
        per_page = []
        cpu = 0.0
        for r, html, gold, grp, with_title in pages:
            t0 = time.process_time()
            try:
                pred = fn(html, with_title)
            except Exception:
                pred = ""
            cpu += time.process_time() - t0
            s = prf(pred, gold)
            scores[grp].append(s)
            per_page.append((s[2], r, pred))
            if name == "daihuo" and args.dump:
                out = Path(args.dump) / r["dataset"] / f"{r['id']}.txt"
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_text(pred, "utf-8")
        results[name] = (scores, len(pages) / cpu if cpu else 0.0)
        if name == "daihuo" and args.worst:
            for f1, r, _pred in sorted(per_page, key=lambda x: x[0])[: args.worst]:
                print(f"  worst {f1:.3f} {r['dataset']}/{r['id']}")

    def mean(v, k):
        return sum(x[k] for x in v) / len(v) if v else 0.0

    print(f"{'extractor':24} {'zh P':>6} {'zh R':>6} {'zh F1':>6} {'en P':>6} {'en R':>6} {'en F1':>6} {'pages/CPU-s':>12}")
    for name, (scores, pps) in results.items():
        zh, en = scores["zh"], scores["en"]
        print(
            f"{name:24} {mean(zh, 0):6.3f} {mean(zh, 1):6.3f} {mean(zh, 2):6.3f} "
            f"{mean(en, 0):6.3f} {mean(en, 1):6.3f} {mean(en, 2):6.3f} {pps:12.1f}"
        )
    print(f"pages: zh={len(results[names[0]][0]['zh'])} en={len(results[names[0]][0]['en'])}")
    if "daihuo" in results and "trafilatura" in results:
        print(f"speed ratio daihuo/trafilatura: {results['daihuo'][1] / results['trafilatura'][1]:.2f}x")


if __name__ == "__main__":
    main()
