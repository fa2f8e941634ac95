"""Store.write alone: docs/s of the store's write (clustering at insert) on generated records,
and its CPU per 1,000 articles (all the writing process's threads: the WAL checkpoint thread
works between batches, while the other store writes; not its unpickling of the records), for
this checkout and, in the same run,
for another git revision (default: main).

The records are bench/search.py's live-commerce articles (about 10% reposts), segmented and
fingerprinted once by two worker processes and pickled batch by batch to a file; each store
then writes the very same batches of 1,000 into a new SQLite file (and, with --pg, into
PostgreSQL). The other revision's code is exported with ``git archive`` into a temp folder and
timed in a child process that imports it instead of this checkout; the two processes write
their batches alternately, so both see the same load from whatever else runs on the machine. Both stores are compared
row by row at the end (articles, tags, raw pages, LSH keys, clusters) so a speed-up that
changed what is stored shows.

    python bench/store_write.py --sizes 20000,100000           # this checkout vs main
    python bench/store_write.py --sizes 20000 --profile        # where this checkout's time goes
    python bench/store_write.py --sizes 300000 --before HEAD~1 --sequential  # one after the other

At scale, without loading it again each time: write part of a corpus once and keep the store,
then time the next batches written onto copies of it (both trees start from the same store):

    python bench/store_write.py --sizes 330000 --before '' --dir D --stop-after 300 --keep
    python bench/store_write.py --sizes 330000 --before HEAD --dir D --grow-from D/store-330000-0.sqlite
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import multiprocessing as mp
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BATCH = 1000


# -- records ----------------------------------------------------------------------------------
def _records(docs: list[dict]) -> list:
    from bench.search import to_record

    return [to_record(d) for d in docs]


def make_records(n: int, path: Path) -> None:
    """Generate, segment and fingerprint ``n`` articles (two processes) into ``path``: one
    pickled list of PageRecords per batch."""
    from bench.search import corpus

    t0 = time.perf_counter()
    docs = [d for d, _ in corpus(n)]
    with mp.get_context("fork").Pool(2) as pool, path.open("wb") as fh:
        for recs in pool.imap(_records, [docs[i:i + BATCH] for i in range(0, n, BATCH)]):
            pickle.dump(recs, fh, protocol=pickle.HIGHEST_PROTOCOL)
    print(f"  {n:,} records generated in {time.perf_counter() - t0:,.0f} s", flush=True)


def held_batches(store: Path) -> int:
    """How many batches of the records file a kept store holds (a raw page per record), its
    log checkpointed first so that a copy of the file alone is the whole store."""
    import sqlite3

    if not store.is_file():
        sys.exit(f"store_write: no store at {store} (write one with --keep first)")
    with sqlite3.connect(store) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pages = db.execute("SELECT count(*) FROM raw_pages").fetchone()[0]
    if pages % BATCH:
        sys.exit(f"store_write: {store} holds {pages:,} pages, not whole batches of {BATCH:,}")
    return pages // BATCH


def read_batches(path: Path):  # noqa: ANN201
    with path.open("rb") as fh:
        while True:
            try:
                yield pickle.load(fh)
            except EOFError:
                return


# -- timing (run in a child process: this checkout's code or another revision's) -------------
def time_writes(records: Path, url: str, profile: Path | None, skip: int = 0, limit: int | None = None) -> None:
    """Write the batches of ``records`` into a new store at ``url``, one each time a line
    arrives on stdin (the parent alternates the two stores' batches, so both see the same
    load from whatever else runs on the machine); prints each batch's seconds."""
    from bench.corpusgen import vocabulary
    from nlp.neardup import THRESHOLD
    from pipelines.convert import fingerprint_similarity
    from storage.db import ensure_schema, make_engine
    from storage.store import Store

    engine = make_engine(url)
    ensure_schema(engine)
    store = Store(engine, similar=fingerprint_similarity, threshold=THRESHOLD)
    store.sync_sources([{"name": s, "kind": "news", "config": {}} for s in vocabulary()["sources"]])
    prof = None
    if profile:
        import cProfile

        prof = cProfile.Profile()
    batches = read_batches(records)
    for _ in itertools.islice(batches, skip):  # the batches a --grow-from store holds already
        pass
    print("ready", flush=True)
    cpu0, reading = time.process_time(), 0.0
    for _ in range(limit) if limit is not None else itertools.count():
        r = time.thread_time()
        batch = next(batches, None)  # unpickling: this bench's work, not the store's
        reading += time.thread_time() - r
        if batch is None:
            break
        sys.stdin.readline()
        t = time.perf_counter()
        if prof:
            prof.enable()
        store.write(batch)
        if prof:
            prof.disable()
        # the process's CPU so far, all threads (the WAL checkpoint thread works between
        # batches), less this thread's unpickling of the records
        print(f"{len(batch)} {time.perf_counter() - t:.4f} {time.process_time() - cpu0 - reading:.4f}", flush=True)
    if prof:
        prof.dump_stats(str(profile))
    engine.dispose()


class Child:
    """A process timing Store.write with the code of ``code_root``."""

    def __init__(self, code_root: Path, records: Path, url: str, profile: Path | None = None,
                 skip: int = 0, limit: int | None = None) -> None:
        cmd = [sys.executable, str(ROOT / "bench" / "store_write.py"), "--child", str(code_root),
               "--records", str(records), "--url", url, "--skip", str(skip)]
        if limit is not None:
            cmd += ["--stop-after", str(limit)]
        if profile:
            cmd += ["--profile-out", str(profile)]
        self.proc = subprocess.Popen(cmd, cwd=code_root, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True)
        assert self.proc.stdout.readline().strip() == "ready"
        self.docs, self.spent, self.cpu = 0, 0.0, 0.0

    def batch(self) -> None:
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()
        docs, spent, cpu = self.proc.stdout.readline().split()
        self.docs += int(docs)
        self.spent += float(spent)
        self.cpu = float(cpu)  # cumulative: up to the end of this batch

    def close(self) -> None:
        self.proc.stdin.close()
        if self.proc.wait() != 0:
            raise RuntimeError(f"the timing process failed ({self.proc.returncode})")


def checkout_label(paths: tuple[str, ...] = ("storage", "nlp", "pipelines")) -> str:
    """"this checkout (<HEAD>)", saying so when ``paths`` hold uncommitted changes."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--", *paths], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()
    return f"this checkout ({head}{' + uncommitted changes' if dirty else ''})"


def export_revision(rev: str, into: Path) -> str:
    """``rev``'s tree in ``into`` (git archive); its commit id."""
    commit = subprocess.run(["git", "rev-parse", "--short", rev], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout.strip()
    archive = subprocess.run(["git", "archive", rev], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return commit


# -- comparison ---------------------------------------------------------------------------------
TABLES = {
    "raw_pages": "SELECT id, source_id, run_id, url, status, fetched_at, headers, charset, html_z, error, "
                 "error_stage FROM raw_pages ORDER BY id",
    "articles": "SELECT * FROM articles ORDER BY id",
    "tags": "SELECT article_id, kind, value, score, count, first_pos, in_title, detail FROM tags "
            "ORDER BY article_id, kind, value, id",
    "lsh": "SELECT band, key, article_id FROM (SELECT * FROM lsh_keys UNION ALL SELECT * FROM lsh_recent) "
           "ORDER BY band, key, article_id",
    "clusters": "SELECT id, canonical_id, size FROM clusters ORDER BY id",
}
TIME_COLUMNS = {"created_at", "updated_at"}  # the time of the write itself


def digest(path: Path) -> dict[str, tuple[int, str]]:
    """Rows and a hash of the contents of each table (SQLite), write times left out."""
    import sqlite3

    out = {}
    with sqlite3.connect(path) as db:
        for name, sql in TABLES.items():
            cur = db.execute(sql)
            skip = {i for i, d in enumerate(cur.description) if d[0] in TIME_COLUMNS}
            h, n = hashlib.sha256(), 0
            for row in cur:
                h.update(repr(tuple(v for i, v in enumerate(row) if i not in skip)).encode())
                n += 1
            out[name] = (n, h.hexdigest()[:12])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="20000,100000")
    ap.add_argument("--before", default="main", help="the git revision to compare with ('' : none)")
    ap.add_argument("--dir", type=Path, default=None, help="where records and stores go (default: a temp dir)")
    ap.add_argument("--sequential", action="store_true",
                    help="write one store after the other, not batch by batch alternately (a "
                         "change that works beside the writer, as a checkpoint thread does, would "
                         "otherwise use the other store's turn)")
    ap.add_argument("--profile", action="store_true", help="cProfile this checkout's writes (first size)")
    ap.add_argument("--stop-after", type=int, default=None, metavar="BATCHES",
                    help="write only this many batches of 1,000 (the first ones, or those after --grow-from's)")
    ap.add_argument("--keep", action="store_true", help="keep the stores written in --dir (to --grow-from later)")
    ap.add_argument("--grow-from", type=Path, default=None, metavar="STORE",
                    help="start each store as a copy of STORE, which a --keep run wrote from the same "
                         "--sizes corpus, and write the batches after those it holds")
    ap.add_argument("--skip", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--records", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--url", help=argparse.SUPPRESS)
    ap.add_argument("--profile-out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        sys.path.insert(0, str(args.child))
        time_writes(args.records, args.url, args.profile_out, args.skip, args.stop_after)
        return
    sys.path.insert(0, str(ROOT))
    workdir = args.dir or Path(tempfile.mkdtemp(prefix="daihuo-store-write-"))
    workdir.mkdir(parents=True, exist_ok=True)
    trees = {checkout_label(): ROOT}
    if args.before:
        before = workdir / "before"
        if before.exists():
            shutil.rmtree(before)
        before.mkdir()
        trees = {f"{args.before} ({export_revision(args.before, before)})": before, **trees}
    print(f"Store.write bench: {os.cpu_count()} CPUs, batches of {BATCH:,}, SQLite, clustering at insert")
    try:
        for k, n in enumerate(int(s) for s in args.sizes.split(",") if s):
            records = workdir / f"records-{n}.pickle"
            if not records.exists():
                make_records(n, records)
            rates, cpus, digests, children, dbs = {}, {}, {}, {}, {}
            prof = workdir / "profile.out" if args.profile and k == 0 else None
            skip = held_batches(args.grow_from) if args.grow_from else 0
            batches = -(-n // BATCH) - skip
            if args.stop_after is not None:
                batches = min(batches, args.stop_after)
            if batches <= 0:
                sys.exit(f"store_write: {args.grow_from} already holds all {n:,} records; "
                         "--keep a run with a smaller --stop-after to grow from")
            onto = f" onto a store of {skip * BATCH:,}" if skip else ""
            for label, tree in trees.items():
                dbs[label] = db = workdir / f"store-{n}-{len(dbs)}{'-grown' if skip else ''}.sqlite"
                for p in workdir.glob(db.name + "*"):
                    p.unlink()
                if args.grow_from:
                    shutil.copyfile(args.grow_from, db)
                children[label] = Child(tree, records, f"sqlite:///{db}", prof if tree == ROOT else None,
                                        skip=skip, limit=batches)
            order = list(children.values())
            if args.sequential:  # one store after the other: nothing runs beside a writer
                for child in order:
                    for _ in range(batches):
                        child.batch()
            else:
                for i in range(batches):  # batch by batch, alternately first
                    for child in order if i % 2 == 0 else order[::-1]:
                        child.batch()
            for label, child in children.items():
                child.close()
                rates[label] = child.docs / child.spent
                cpus[label] = child.cpu / child.docs
                digests[label] = digest(dbs[label])
                print(f"  {child.docs:>9,} articles{onto}, {label}: Store.write {rates[label]:,.0f} docs/s "
                      f"({child.spent:,.1f} s); CPU {child.cpu / (child.docs / 1000):.3f} s per 1,000 "
                      "articles (all its threads)", flush=True)
                if args.keep:
                    print(f"    kept: {dbs[label]}")
                else:
                    for p in workdir.glob(dbs[label].name + "*"):
                        p.unlink()
            if prof:
                import pstats

                pstats.Stats(str(prof)).sort_stats("cumulative").print_stats(35)
            if len(rates) == 2:
                (a, ra), (b, rb) = rates.items()
                same = digests[a] == digests[b]
                print(f"  {child.docs:>9,} articles{onto}: {rb / ra:.2f}x, CPU per article {cpus[b] / cpus[a]:.2f}x; "
                      f"stored rows identical: {'yes' if same else 'NO'}")
                if not same:
                    for table in TABLES:
                        print(f"    {table}: {digests[a][table]} vs {digests[b][table]}")
    finally:
        if not args.dir:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
