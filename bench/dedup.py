"""Near-duplicate detection: quality on the labelled repost corpus and throughput.

Generates the corpus of bench/repostgen.py (originals, content-farm reposts, same-context
siblings), then in one run:

* **pairs**: every within-story pair (original-repost and repost-repost) is a positive; every
  sibling against its twin's story, and a sample of random same-topic pairs, are negatives;
  ``is_near_duplicate`` on their fingerprints gives pair precision/recall;
* **clusters**: documents arrive in shuffled (crawl) order; each is fingerprinted, looked up in
  ``MemoryIndex`` (band keys -> candidates -> verification) and added, linked to the match
  ``find`` returns; pair precision/recall of the resulting clusters over ALL document pairs;
* **throughput**: docs/s of that loop (fingerprint + candidates + verification + add), one
  process; fingerprint size and LSH rows per document;
* the real seeds (``../shared/seeds`` 002, 003, when present): a generated repost of each
  matches it, and the two are not near-duplicates of each other;
* real unrelated news (the gold texts of ``../shared/bench/extraction``, when present): their
  pairwise similarity and LSH candidate pairs, the background the generator cannot vouch for.

    PYTHONPATH=. python bench/dedup.py [--originals 3000 --clusters 400 --siblings 500]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import Counter
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import repostgen  # noqa: E402

from nlp.neardup import (  # noqa: E402
    BANDS,
    ROWS,
    THRESHOLD,
    MemoryIndex,
    fingerprint,
    similarity,
)

SEEDS = ROOT.parent / "shared" / "seeds"
NEWS = ROOT.parent / "shared" / "bench" / "extraction"


def prf(tp: int, fp: int, fn: int) -> tuple[float, float]:
    return (tp / (tp + fp) if tp + fp else 1.0), (tp / (tp + fn) if tp + fn else 1.0)


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def labelled_pairs(corpus: repostgen.Corpus, rng: random.Random) -> tuple[list, list]:
    by_id = {d.id: d for d in corpus.docs}
    stories = corpus.stories()
    pos = [p for ids in stories.values() if len(ids) > 1 for p in combinations(sorted(ids), 2)]
    neg = []
    for d in corpus.docs:
        if d.kind == "sibling":
            twin_story = by_id[d.parent].story
            neg += [(d.id, other) for other in stories[twin_story]]
    # random pairs of originals on the same platform and topic: same vocabulary, other stories
    groups: dict[tuple[str, str], list[int]] = {}
    for d in corpus.docs:
        if d.kind == "original":
            groups.setdefault((d.platform, d.topic), []).append(d.id)
    for ids in groups.values():
        for _ in range(min(20, len(ids) // 2)):
            neg.append(tuple(rng.sample(ids, 2)))
    return pos, neg


def run_seeds() -> None:
    if not SEEDS.is_dir():
        print("seeds: skipped (../shared/seeds absent)")
        return
    from nlp.extract import extract  # noqa: F401  (the pipeline's own cleaning is not needed here)
    rng = random.Random(3)
    bodies = {}
    for name in ("002", "003"):
        path = next(SEEDS.glob(f"{name}_*.txt"))
        bodies[name] = repostgen.clean(path.read_text("utf-8").splitlines())
    fps = {k: fingerprint(v) for k, v in bodies.items()}
    for name, body in bodies.items():
        paras = [p for p in body.split("\n") if p]
        ctx = {"platform": "快手" if name == "002" else "腾讯", "company": "腾讯", "brand": "",
               "anchor": "", "mcn": ""}
        sims = []
        for _ in range(20):
            blocks, _traits, _core = repostgen.repost(rng, "", paras, ctx)
            sims.append(similarity(fps[name], fingerprint(repostgen.clean(blocks))))
        print(f"seed {name}: 20 generated reposts, similarity min {min(sims):.2f} "
              f"median {statistics.median(sims):.2f}; near-duplicates {sum(s >= THRESHOLD for s in sims)}/20")
    print(f"seed 002 vs 003 similarity {similarity(fps['002'], fps['003']):.2f}")


def run_real_background() -> None:
    """Real Chinese news (the extraction set's gold texts): how similar unrelated real articles
    are, and how many become LSH candidates of each other."""
    if not NEWS.is_dir():
        print("real news background: skipped (../shared/bench/extraction absent)")
        return
    paths = sorted(NEWS.glob("daniel_zh/*.txt")) + sorted(NEWS.glob("cwced_zh/*.txt"))
    fps = [fingerprint(repostgen.clean(p.read_text("utf-8").splitlines())) for p in paths]
    names = [p.name[:40] for p in paths]
    pairs = list(combinations(range(len(fps)), 2))
    sims = [similarity(fps[a], fps[b]) for a, b in pairs]
    index = MemoryIndex()
    cand = 0
    for i, f in enumerate(fps):
        cand += len(index.candidates(f))
        index.add(i, f)
    print(f"real news background ({len(fps)} gold texts of the extraction set, {len(sims)} pairs): "
          f"similarity median {statistics.median(sims):.3f} p99 {pct(sims, .99):.3f} max {max(sims):.2f}; "
          f"{sum(s >= THRESHOLD for s in sims)} pairs >= THRESHOLD; {cand} LSH candidate pairs")
    for (a, b), s in zip(pairs, sims, strict=True):
        if s >= 0.3:  # print them: are they reposts? (read the two files)
            print(f"  {s:.2f} {names[a]} | {names[b]}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--originals", type=int, default=3000)
    ap.add_argument("--clusters", type=int, default=400)
    ap.add_argument("--siblings", type=int, default=500)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("-v", "--verbose", action="store_true", help="print missed and false pairs")
    args = ap.parse_args()

    t0 = time.perf_counter()
    corpus = repostgen.generate(args.originals, args.clusters, args.siblings, seed=args.seed)
    gen_s = time.perf_counter() - t0
    docs = corpus.docs
    kinds = Counter(d.kind for d in docs)
    stories = corpus.stories()
    multi = sum(1 for ids in stories.values() if len(ids) > 1)
    chars = [len(d.body) for d in docs]
    print(f"corpus: {len(docs)} documents ({kinds['original']} originals, {kinds['repost']} reposts "
          f"in {multi} stories, {kinds['sibling']} same-context siblings); body median "
          f"{statistics.median(chars):.0f} chars (p10 {pct(chars, 0.1)}, p90 {pct(chars, 0.9)}); "
          f"generated in {gen_s:.1f}s")

    # ---- throughput: the store's loop, in crawl order
    index = MemoryIndex()
    link: dict[int, int] = {}
    t0 = time.perf_counter()
    fps = {}
    for d in docs:
        fp = fingerprint(d.body)
        match = index.find(fp)
        if match is not None:
            link[d.id] = match
        index.add(d.id, fp)
        fps[d.id] = fp
    loop_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for d in docs:
        fingerprint(d.body)
    fp_s = time.perf_counter() - t0
    # candidates each document met when it arrived (an index of the documents before it)
    counting = MemoryIndex()
    n_cand = 0
    for d in docs:
        n_cand += len(counting.candidates(fps[d.id]))
        counting.add(d.id, fps[d.id])
    size = len(next(iter(fps.values())).to_bytes())
    rows = statistics.mean(len(f.band_keys()) for f in fps.values())
    print(f"throughput: {len(docs) / loop_s:,.0f} docs/s (fingerprint + candidates + verify + add; "
          f"fingerprint alone {len(docs) / fp_s:,.0f} docs/s); {n_cand / len(docs):.2f} candidates "
          f"per lookup")
    print(f"fingerprint: {size} bytes; LSH: {BANDS} bands x {ROWS} rows -> {rows:.1f} lsh_keys rows "
          f"per document; THRESHOLD {THRESHOLD}")

    # ---- labelled pairs
    rng = random.Random(1)
    pos, neg = labelled_pairs(corpus, rng)
    by_id = {d.id: d for d in docs}
    pos_sims = [similarity(fps[a], fps[b]) for a, b in pos]
    neg_sims = [similarity(fps[a], fps[b]) for a, b in neg]
    tp = sum(s >= THRESHOLD for s in pos_sims)
    fp_ = sum(s >= THRESHOLD for s in neg_sims)
    p, r = prf(tp, fp_, len(pos) - tp)
    print(f"pairs: {len(pos)} positive, {len(neg)} hard negative -> precision {p:.4f} recall {r:.4f}")
    orig_rep = [s for (a, b), s in zip(pos, pos_sims, strict=True)
                if "original" in (by_id[a].kind, by_id[b].kind)]
    rep_rep = [s for (a, b), s in zip(pos, pos_sims, strict=True)
               if by_id[a].kind == by_id[b].kind == "repost"]
    sib = [s for (a, _b), s in zip(neg, neg_sims, strict=True) if by_id[a].kind == "sibling"]
    rnd = [s for (a, _b), s in zip(neg, neg_sims, strict=True) if by_id[a].kind != "sibling"]
    for label, vals in (("original-repost", orig_rep), ("repost-repost", rep_rep),
                        ("sibling (same context)", sib), ("random same platform+topic", rnd)):
        print(f"  similarity {label:28s} n={len(vals):5d} min {min(vals):.2f} p5 {pct(vals, .05):.2f} "
              f"median {statistics.median(vals):.2f} p95 {pct(vals, .95):.2f} max {max(vals):.2f}")

    # ---- clusters from the index (LSH recall included), pairwise over all documents
    parent = {d.id: d.id for d in docs}

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in link.items():
        parent[root(a)] = root(b)
    clusters: dict[int, list[int]] = {}
    for d in docs:
        clusters.setdefault(root(d.id), []).append(d.id)
    pred = {(a, b) for ids in clusters.values() for a, b in combinations(sorted(ids), 2)}
    gold = {(a, b) for ids in stories.values() for a, b in combinations(sorted(ids), 2)}
    tp = len(pred & gold)
    p, r = prf(tp, len(pred - gold), len(gold - pred))
    print(f"clusters (index.find in crawl order): {len(gold)} gold pairs, {len(pred)} predicted -> "
          f"pair precision {p:.4f} recall {r:.4f}; stories split {sum(1 for ids in stories.values() if len({root(i) for i in ids}) > 1)}/{multi}")
    if args.verbose:
        for a, b in sorted(gold - pred)[:20]:
            print("  missed", a, b, f"{similarity(fps[a], fps[b]):.2f}", by_id[a].kind, by_id[b].kind,
                  by_id[a].traits, by_id[b].traits)
        for a, b in sorted(pred - gold)[:20]:
            print("  false", a, b, f"{similarity(fps[a], fps[b]):.2f}", by_id[a].kind, by_id[b].kind)

    run_seeds()
    run_real_background()


if __name__ == "__main__":
    main()
