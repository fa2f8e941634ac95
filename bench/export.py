"""Export rate and memory: `daihuo export` of a query matching at least half of a store of N
generated articles (bench/search.py's corpus, loaded through Store.write), timed in a child
process per format (CSV, JSONL, Parquet): rows/s and the child's peak RSS (ru_maxrss).

Each code tree given with --code (default: this one) runs the same exports on the same
database in the same run, alternating, so their ratio is measured under the same load:

    python bench/export.py --size 100000 --dir /tmp/exp                      # this tree
    python bench/export.py --size 100000 --dir /tmp/exp --code /work/main --code .   # main vs this

The store is built once and kept in --dir (a rerun reuses it; loading runs ~300 docs/s).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

FORMATS = ("csv", "jsonl", "parquet")
#: the commonest words of the generated corpus, tried in turn until one matches half of it
CANDIDATE_QUERIES = ("直播", "电商", "平台", "商家", "直播 OR 电商", "直播 OR 电商 OR 商家 OR 平台")
NO_MATCH = "鲸鱼潜水艇"  # words the generated corpus never uses: an export of no rows
#: runs the command in its own child and reports that child's wall time, peak RSS (KB) and CPU
#: seconds (user + system: on a shared machine, rows per CPU second is the steadier figure)
WRAPPER = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
           "r = subprocess.run(sys.argv[1:]); took = time.perf_counter() - t; "
           "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
           "print(f'#{took} {u.ru_maxrss} {u.ru_utime + u.ru_stime}', file=sys.stderr); "
           "sys.exit(r.returncode)")


def build_or_reuse(path: Path, n: int) -> None:
    """A store of ``n`` generated articles at ``path`` (kept; reused when already complete)."""
    from sqlalchemy import text

    from bench.search import load, open_store

    done = path.with_suffix(".done")
    if path.exists() and done.exists():
        return
    for p in path.parent.glob(path.name + "*"):
        p.unlink()
    store = open_store(f"sqlite:///{path}")
    t = time.perf_counter()
    info = load(store, n)
    with store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        stored = conn.execute(text("SELECT count(*) FROM articles")).scalar()
    store.close()
    done.write_text(str(stored))
    print(f"loaded {info['docs']:,} articles ({stored:,} stored) in {time.perf_counter() - t:,.0f} s")


def pick_query(path: Path, n: int) -> tuple[str, int]:
    """The first candidate query matching at least half the store (else the widest)."""
    from daihuo.analysis.query_terms import query_terms
    from storage import search as search_mod
    from storage.search import SearchRequest
    from storage.store import Store

    store = Store.open(f"sqlite:///{path}")
    best = ("", 0)
    try:
        for q in CANDIDATE_QUERIES:
            c = search_mod.count(store.engine, SearchRequest(q, collapse=False), query_terms)
            if c > best[1]:
                best = (q, c)
            if c >= n / 2:
                break
    finally:
        store.close()
    return best


def run_export(code: Path, db: Path, q: str, fmt: str, out: Path,
               extra: tuple[str, ...] = ()) -> tuple[int, float, float, int, float]:
    """(rows, seconds, peak RSS in MB, bytes written, CPU seconds) of one `daihuo export` run with ``code``'s
    daihuo in a child process."""
    env = {**os.environ, "DAIHUO_DATABASE_URL": f"sqlite:///{db}", "PYTHONPATH": str(code)}
    cmd = [sys.executable, "-c", WRAPPER, sys.executable, "-m", "daihuo", "export", q, "--expand",
           "--format", fmt, "--out", str(out), *extra]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=code)
    lines = done.stderr.strip().splitlines()
    timing = next((ln for ln in lines if ln.startswith("#")), None)
    summary = next((ln for ln in reversed(lines) if "search total" in ln), "")
    if done.returncode or not timing or not summary:
        raise SystemExit(f"`daihuo export` failed with {code}: {done.stderr[-800:]}")
    took, rss_kb, cpu = timing[1:].split()
    rows = int(summary.split()[1].replace(",", ""))
    size = out.stat().st_size
    out.unlink()
    return rows, float(took), int(rss_kb) / 1024, size, float(cpu)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=int, default=100_000, help="generated articles in the store")
    ap.add_argument("--dir", type=Path, default=None, help="where the store is kept (default: a temp dir)")
    ap.add_argument("--code", type=Path, action="append", default=None,
                    help="a daihuo source tree to time (repeatable; default: this one)")
    ap.add_argument("--formats", default=",".join(FORMATS))
    ap.add_argument("--repeat", type=int, default=1, help="runs per tree and format (the median is shown)")
    ap.add_argument("--with-body", action="store_true", help="export the clean body text too")
    args = ap.parse_args()
    workdir = args.dir or Path(tempfile.mkdtemp(prefix="daihuo-export-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / f"export-{args.size}.sqlite"
    build_or_reuse(db, args.size)
    q, matches = pick_query(db, args.size)
    codes = [c.resolve() for c in (args.code or [ROOT])]
    formats = [f for f in args.formats.split(",") if f]
    extra = ("--with-body",) if args.with_body else ()
    print(f"export bench: {os.cpu_count()} CPUs, {args.size:,} generated articles, "
          f"`daihuo export {q!r} --expand{' --with-body' if extra else ''}`: {matches:,} matches "
          f"({matches / max(args.size, 1):.0%})")
    results: dict[tuple[Path, str], list[tuple[int, float, float, int, float]]] = {}
    for code in codes:  # what every run pays before its first row: imports, the segmenter
        runs = [run_export(code, db, NO_MATCH, "csv", workdir / "bench-empty.csv") for _ in range(args.repeat)]
        print(f"  start-up  {str(code):<28} (an export of 0 rows) {statistics.median(r[1] for r in runs):.1f} s, "
              f"{statistics.median(r[4] for r in runs):.1f} CPU s, peak RSS {max(r[2] for r in runs):,.0f} MB")
    for _ in range(args.repeat):
        for fmt in formats:
            for code in codes:  # alternate the trees: both see the same machine load
                out = workdir / f"bench-export.{fmt}"
                results.setdefault((code, fmt), []).append(run_export(code, db, q, fmt, out, extra))
    for fmt in formats:
        base = None
        for code in codes:
            runs = results[(code, fmt)]
            rows = runs[0][0]
            took = statistics.median(r[1] for r in runs)
            rss = max(r[2] for r in runs)
            size = runs[0][3]
            cpu = statistics.median(r[4] for r in runs)
            rate = rows / took
            ratio = "" if base is None else f"  ({rate / base[0]:.2f}x the first tree; per CPU s {base[1] / cpu:.2f}x)"
            base = base or (rate, cpu)
            print(f"  {fmt:<8} {str(code):<28} {rows:,} rows in {took:.1f} s: {rate:,.0f} rows/s "
                  f"({rows / cpu:,.0f} per CPU s), peak RSS {rss:,.0f} MB, {size / 1e6:,.0f} MB written{ratio}")


if __name__ == "__main__":
    main()
