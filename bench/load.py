"""End-to-end load, this checkout against another git revision in the same run: bench/search.py's
load (generate in one process, segment + fingerprint in two, Store.write clustering at insert in
the writer's process) into a new SQLite store, each revision's code in a child process of its
own (``git archive``d to a temp folder, as bench/store_write.py does), one after the other, so
the ratio is measured on one machine on one day. Prints docs/s end to end and Store.write's
share, for each repetition, and where the CPU went (writer and producers, per 1,000 articles).

    python bench/load.py --size 100000 --before HEAD~1
    python bench/load.py --size 100000 --before 9178317 --repeat 2
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHILD = """
import json, sys
sys.path.insert(0, {root!r})
import bench.search as bs
store = bs.open_store({url!r})
info = bs.load(store, {n})
store.close()
print(json.dumps(info))
"""


def run(tree: Path, n: int, db: Path) -> dict:
    """bench.search.load of ``n`` docs with the code of ``tree``, in a child process."""
    for p in db.parent.glob(db.name + "*"):
        p.unlink()
    out = subprocess.run([sys.executable, "-c", CHILD.format(root=str(tree), url=f"sqlite:///{db}", n=n)],
                         cwd=tree, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from bench.machine import machine_speed
    from bench.search import cpu_line
    from bench.store_write import checkout_label, export_revision

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=int, default=100_000)
    ap.add_argument("--before", default="main", help="the git revision to compare with")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each, alternating which goes first")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="daihuo-load-"))
    try:
        before = work / "before"
        before.mkdir()
        commit = export_revision(args.before, before)
        trees = [(f"{args.before} ({commit})", before),
                 (checkout_label(("storage", "nlp", "pipelines", "bench")), ROOT)]
        print(f"end-to-end load of {args.size:,} generated articles into SQLite, clustering at insert "
              f"({machine_speed()})")
        rates: dict[str, list[float]] = {label: [] for label, _ in trees}
        for r in range(args.repeat):
            for label, tree in trees if r % 2 == 0 else trees[::-1]:
                info = run(tree, args.size, work / "store.sqlite")
                rate = info["docs"] / info["total_s"]
                rates[label].append(rate)
                print(f"  {label}: {rate:,.0f} docs/s end to end, Store.write alone "
                      f"{info['docs'] / info['write_s']:,.0f} docs/s ({info['write_s']:,.0f} of "
                      f"{info['total_s']:,.0f} s); {info['joined']:.1%} of reposts clustered", flush=True)
                if "writer_cpu_s" in info:  # (a revision before the CPU accounting has none)
                    print(f"    {cpu_line(info)}", flush=True)
        (a, ra), (b, rb) = rates.items()
        print(f"  this checkout vs {args.before}: {sum(rb) / sum(ra):.2f}x end to end "
              f"(mean of {args.repeat} run{'s' if args.repeat > 1 else ''} each)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
