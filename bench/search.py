"""Search at scale: load rate, database size, query and facet latency, export rate; the app's
engine (storage.search.search as the app calls it: on an SQLite file store, the derived tantivy
index of storage.search_index) beside the exact SQL FTS5 engine (the same call without the
index), SQLite FTS5 as it was (bench/capped_fts5_search.py), the bench-only tantivy candidate
(bench/tantivy_candidate.py, --tantivy) and Whoosh + jieba as the peer.

Generates live-commerce articles with bench/corpusgen.py (about 10% are content-farm reposts
of an earlier article) in a process of its own, loads them through storage.store.Store.write
in batches of 1,000 (segmentation and MinHash fingerprints in two worker processes, as the
crawl pipeline's NLP stages do before the store; the store clusters near-duplicates at insert
through its LSH keys), and times 200 two-word queries (page of 20 with snippets, clusters
collapsed) without and with a platform filter, and the same with facet counts. On the first
size the same corpus and queries also go through PostgreSQL (--pg), Whoosh with jieba's
ChineseAnalyzer (--whoosh), the pre-issue-19 capped FTS5 engine (--capped) and the bench-only
tantivy candidate (--tantivy). ``daihuo export`` of a query matching at least half
the corpus is timed in a child process (rows/s, peak RSS) with --export. Generation and
segmentation run at a lower priority (NICE) than the store's single writer, the one serial
stage.

    python bench/search.py --sizes 20000 --no-pg --no-whoosh        # quick
    python bench/search.py --sizes 100000,1000000 --pg --whoosh    # the figures
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import multiprocessing as mp
import os
import queue
import random
import resource
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

import bench.capped_fts5_search as capped_fts5  # noqa: E402
import storage.search as search_mod  # noqa: E402
from bench.corpusgen import generate, repost, vocabulary  # noqa: E402
from bench.machine import machine_speed  # noqa: E402
from daihuo.system import System  # noqa: E402
from storage.records import ArticleRecord, PageRecord, RawRecord, TagRecord  # noqa: E402
from storage.search import SearchRequest  # noqa: E402
from storage.store import Store  # noqa: E402


def open_store(url: str) -> Store:
    """The store as every entry point opens it (daihuo.system): reposts clustered at insert."""
    return System.from_env(database_url=url).store()

BATCH = 1000
NICE = 10  # generation and segmentation yield the CPU to Store.write, the one serial stage
REPOST_RATE = 0.10
PG_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=test"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
FETCHED = datetime(2026, 4, 1, tzinfo=timezone.utc)


# -- corpus -----------------------------------------------------------------------------------
def corpus(n: int, seed: int = 0) -> Iterator[tuple[dict, int | None]]:
    """``n`` documents: (doc, index of the original it reposts or None). Reposts follow their
    original within a few hundred documents, as farms copy fresh stories."""
    rnd = random.Random(seed + 1)
    pending: list[tuple[int, dict, int]] = []  # (due index, doc, original index)
    originals = generate(n, seed)
    i = 0
    while i < n:
        if pending and pending[0][0] <= i:
            _, doc, orig = pending.pop(0)
            yield repost(doc, rnd, i), orig
        else:
            doc = next(originals)
            yield doc, None
            if rnd.random() < REPOST_RATE / (1 - REPOST_RATE) / 2:  # 1-3 reposts, ~10% overall
                for _ in range(rnd.randint(1, 3)):
                    pending.append((i + rnd.randint(1, 300), doc, i))
                pending.sort(key=lambda p: p[0])
        i += 1


def _terms(text_: str) -> str:
    from nlp import segment as seg

    return " ".join(seg.search_terms(seg.segment(text_)))


def to_record(doc: dict) -> PageRecord:
    """What the crawl pipeline hands the store for this article (segmented and fingerprinted
    here, as the pipeline's NLP stages do before the store)."""
    from nlp.neardup import fingerprint

    body = doc["body"]
    fp = fingerprint(body)
    html = ("<html><head><title>" + doc["title"] + "</title></head><body><p>"
            + body.replace("\n", "</p><p>") + "</p></body></html>").encode()
    tags = ([TagRecord("platform", p, 1.0, 1) for p in doc["platforms"]]
            + [TagRecord("topic", t, 0.6, 1) for t in doc["topics"]]
            + [TagRecord("entity", e, 0.9, 1, detail="person/confirmed") for e in doc["entities"]]
            + [TagRecord("keyword", k, 0.3, 1) for k in doc.get("keywords", [])])
    raw = RawRecord(url=doc["url"], status=200, fetched_at=FETCHED, html=html, source=doc["source"])
    raw.compressed()  # as pipelines.convert does, where the page is processed
    return PageRecord(
        raw=raw,
        article=ArticleRecord(
            url=doc["url"], canonical_url=doc["url"], title=doc["title"], published_at=doc["published"],
            body=body, script="simplified", content_hash=hashlib.sha1(body.encode()).hexdigest(),
            title_terms=_terms(doc["title"]), body_terms=_terms(body), tags=tags,
            fingerprint=fp.to_bytes(), band_keys=fp.band_keys()))


def _produce(n: int, seed: int, tasks, workers: int) -> None:  # noqa: ANN001
    """Generate the corpus in numbered batches of (docs, original indexes) into ``tasks``, then
    one None per worker: in a process of its own, as a crawl's pages come from processes other
    than the store's writer."""
    os.nice(NICE)  # the store's single writer is the serial stage: it gets a core first
    docs: list[dict] = []
    origins: list[int | None] = []
    seq = 0
    for doc, orig in corpus(n, seed):
        docs.append(doc)
        origins.append(orig)
        if len(docs) == BATCH:
            tasks.put((seq, docs, origins))
            docs, origins, seq = [], [], seq + 1
    if docs:
        tasks.put((seq, docs, origins))
    for _ in range(workers):
        tasks.put(None)


def _segment(tasks, results) -> None:  # noqa: ANN001
    """A worker: each batch of docs from the producer becomes records for the writer (the
    docs go from the producer to the workers directly, never through the writer's process),
    then None."""
    os.nice(NICE)
    while (item := tasks.get()) is not None:
        seq, docs, origins = item
        results.put((seq, origins, [to_record(d) for d in docs]))
    results.put(None)


def _next(results, procs: list):  # noqa: ANN001, ANN202
    """The next item from the workers; an error rather than a hang if one of the processes died."""
    while True:
        try:
            return results.get(timeout=5)
        except queue.Empty:
            if dead := [p.name for p in procs if p.exitcode not in (None, 0)]:
                raise RuntimeError(f"load: {', '.join(dead)} failed") from None


def _receive(results, procs: list, workers: int, into: queue.Queue) -> None:  # noqa: ANN001
    """The writer's receiving thread: takes the workers' batches off their queue (reading and
    unpickling them, ~7% of the writer's time at a million articles) while Store.write works,
    mostly inside SQLite, which runs without the GIL; hands each on, then None once every
    worker is done (or the error that stopped it)."""
    try:
        running = workers
        while running:
            item = _next(results, procs)
            if item is None:
                running -= 1
            else:
                into.put(item)
        into.put(None)
    except BaseException as exc:  # noqa: BLE001 - raised in the writer's thread
        into.put(exc)


def load(store: Store, n: int, seed: int = 0, workers: int = 2) -> dict:
    """Load ``n`` documents; returns rates. The writer (this process) takes the workers'
    batches in corpus order; receiving and unpickling them here (in a thread of its own,
    _receive) is part of its time, as it would be for any writer fed by other processes
    (``Store.write`` pauses the garbage collector for a batch, and so does this from taking
    a batch to the end of its write)."""
    from storage.store import collector_paused

    store.sync_sources([{"name": s, "kind": "news", "config": {}} for s in vocabulary()["sources"]])
    origins: list[int | None] = []
    ids: list[int | None] = []
    write_s = 0.0
    t0, cpu0, children0 = time.perf_counter(), time.process_time(), _children_cpu()
    ctx = mp.get_context("fork")
    tasks, results = ctx.Queue(maxsize=4), ctx.Queue(maxsize=4)
    procs = [ctx.Process(target=_produce, args=(n, seed, tasks, workers), daemon=True)]
    procs += [ctx.Process(target=_segment, args=(tasks, results), daemon=True) for _ in range(workers)]
    for p in procs:
        p.start()
    received: queue.Queue = queue.Queue(maxsize=2)
    threading.Thread(target=_receive, args=(results, procs, workers, received), name="receive", daemon=True).start()
    ready: dict[int, tuple] = {}  # batches that arrived before an earlier one
    running, seq = True, 0
    while running or ready:
        # one pause of the collector from taking a batch (unpickled by _receive) to the end
        # of its write, the records dropped inside it: re-enabled earlier, the collector's
        # next pass would walk the batch's ~100,000 young objects (none of them garbage)
        with collector_paused():
            if seq not in ready:
                if not running:
                    raise RuntimeError(f"batch {seq} never came from the workers")
                item = received.get()
                if isinstance(item, BaseException):
                    raise item
                if item is None:
                    running = False
                    continue
                ready[item[0]] = item[1:]
                del item
                if seq not in ready:  # a later batch came first: it waits, young, for its turn
                    continue
            batch_origins, recs = ready.pop(seq)
            t = time.perf_counter()
            outcomes = store.write(recs)
            write_s += time.perf_counter() - t
            del recs
        origins.extend(batch_origins)
        ids.extend(o.article_id if o.status == "stored" else None for o in outcomes)
        seq += 1
        if len(ids) % 100_000 < BATCH:
            print(f"    loaded {len(ids):,} ({len(ids) / (time.perf_counter() - t0):,.0f} docs/s)",
                  file=sys.stderr, flush=True)
    for p in procs:
        p.join()  # reaped: their CPU time is in RUSAGE_CHILDREN from here
    if store.engine.dialect.name == "sqlite":
        # counted: batches leave the log's checkpoint to a thread (storage.wal_checkpointer),
        # so what it has not copied yet is part of the load
        with store.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    total_s = time.perf_counter() - t0
    writer_cpu, producers_cpu = time.process_time() - cpu0, _children_cpu() - children0
    n_clusters, joined = _clusters(store, ids, origins)
    return {"docs": len(ids), "stored": sum(i is not None for i in ids), "total_s": total_s,
            "write_s": write_s, "clusters": n_clusters, "joined": joined,
            "writer_cpu_s": writer_cpu, "producers_cpu_s": producers_cpu}


def _children_cpu() -> float:
    """CPU seconds (user + system) of this process's reaped children."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def cpu_line(info: dict) -> str:
    """Where a load's CPU went, per 1,000 articles, and the rates it allows on this machine:
    the writer is one serial process (its CPU bounds the load however many cores there are),
    and all processes together share the machine's cores."""
    k = info["docs"] / 1000
    writer, producers = info["writer_cpu_s"] / k, info["producers_cpu_s"] / k
    cores = os.cpu_count() or 1
    return (f"CPU per 1,000 articles: writer {writer:.2f} s (Store.write, unpickling, WAL checkpoints), "
            f"producers {producers:.2f} s (generate, segment, fingerprint); at most "
            f"{1000 / writer:,.0f} docs/s with one writer, {cores * 1000 / (writer + producers):,.0f} "
            f"docs/s with {cores} cores shared")


def reused(store: Store) -> dict:
    with store.engine.connect() as conn:
        docs = conn.execute(text("SELECT count(*) FROM articles")).scalar()
        clusters = conn.execute(text("SELECT count(*) FROM clusters")).scalar()
    nan = float("nan")
    return {"docs": docs, "stored": docs, "total_s": nan, "write_s": nan, "clusters": clusters,
            "joined": nan, "writer_cpu_s": nan, "producers_cpu_s": nan}


def _clusters(store: Store, ids: list[int | None], origins: list[int | None]) -> tuple[int, float]:
    """Clusters the store formed at insert (LSH), and the share of the generator's reposts
    that joined their original's cluster."""
    with store.engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM clusters")).scalar()
        cluster_of = dict(conn.execute(text("SELECT id, cluster_id FROM articles WHERE cluster_id IS NOT NULL")).all())
    pairs = [(ids[i], ids[o]) for i, o in enumerate(origins)
             if o is not None and ids[i] is not None and ids[o] is not None]
    joined = sum(cluster_of.get(a) is not None and cluster_of.get(a) == cluster_of.get(b) for a, b in pairs)
    return n, joined / max(len(pairs), 1)


# -- queries ----------------------------------------------------------------------------------
def queries(k: int = 200, seed: int = 42) -> list[tuple[str, str]]:
    """``k`` (two-word query, platform) pairs: words an analyst types about live commerce."""
    from bench.corpusgen import CATEGORIES, GENERIC

    v = vocabulary()
    rnd = random.Random(seed)
    topic_terms = [t for terms in v["topics"].values() for t, _ in terms]
    plats = v["platforms"][:8]
    entities = [e for e, _ in v["entities"][:40]]
    out = []
    for _ in range(k):
        r = rnd.random()
        if r < 0.4:
            a, b = rnd.sample(topic_terms, 2)
        elif r < 0.65:
            a, b = rnd.choice(plats), rnd.choice(topic_terms)
        elif r < 0.8:
            a, b = rnd.choice(CATEGORIES), rnd.choice(topic_terms + GENERIC)
        else:
            a, b = rnd.choice(entities), rnd.choice(topic_terms + plats)
        out.append((f"{a} {b}", rnd.choice(plats[:6])))
    return out


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def timed(fn: Callable, *args: object, **kwargs: object) -> tuple[float, object]:
    """(milliseconds, result) of one call."""
    t = time.perf_counter()
    result = fn(*args, **kwargs)
    return (time.perf_counter() - t) * 1000, result


def latency_line(label: str, ms: list[float]) -> str:
    return (f"  {label:<44} p50 {pct(ms, 50):7.1f}  p95 {pct(ms, 95):7.1f}  p99 {pct(ms, 99):7.1f} ms"
            f"  (mean {statistics.fmean(ms):.1f})")


def bench_store(store: Store, qs: list[tuple[str, str]], mod=search_mod) -> dict[str, list[float]]:  # noqa: ANN001
    """Latencies of ``mod``'s search (storage.search, or the capped baseline) over ``qs``."""
    from daihuo.analysis.query_terms import query_terms

    eng = store.engine
    run, Req = mod.search, mod.SearchRequest  # noqa: N806
    for q, _ in qs[:20]:  # warm the page cache and the segmenter
        run(eng, Req(q, facets=False), query_terms)
    out: dict[str, list[float]] = {"plain": [], "platform": [], "facets": [], "hits": [], "exact": []}
    for q, plat in qs:
        out["plain"].append(timed(run, eng, Req(q, facets=False), query_terms)[0])
        ms, res = timed(run, eng, Req(q, platform=plat, facets=False), query_terms)
        out["platform"].append(ms)
        out["hits"].append(res.total)
        out["exact"].append(res.total_exact)
        out["facets"].append(timed(run, eng, Req(q, facets=True), query_terms)[0])
    return out


def report_store(name: str, n: int, info: dict, size: int, lat: dict[str, list[float]]) -> None:
    print(f"\n{name}, {info['docs']:,} documents ({info['stored']:,} stored; {info['clusters']:,} repost "
          f"clusters formed at insert, {info['joined']:.1%} of generated reposts in their original's)")
    print(f"  load: {info['docs'] / info['total_s']:,.0f} docs/s end to end (generate in 1 process, "
          f"segment + fingerprint in 2, Store.write in this one), Store.write alone {info['docs'] / info['write_s']:,.0f} docs/s "
          f"({info['write_s']:.0f} of {info['total_s']:.0f} s)")
    if not math.isnan(info["writer_cpu_s"]):  # a reused store was not loaded
        print(f"  {cpu_line(info)}")
    print(f"  database size: {size / 1e6:,.0f} MB ({size / max(info['docs'], 1) / 1024:.1f} KB/doc, "
          "raw HTML included)")
    print_latencies(lat)


def print_latencies(lat: dict[str, list[float]], label: str = "") -> None:
    inexact = sum(not e for e in lat["exact"])
    print(f"  {label}matches with the platform filter: median {statistics.median(lat['hits']):,.0f}; "
          f"{inexact} of {len(lat['hits'])} totals inexact (a cap hit)")
    print(latency_line("two words, page of 20 + exact total + snippets", lat["plain"]))
    print(latency_line("two words + platform filter + snippets", lat["platform"]))
    print(latency_line("two words + snippets + exact facet counts", lat["facets"]))


def report_maintained(store: Store, qs: list[tuple[str, str]]) -> None:
    """Compact the index as `daihuo maintain` does, then time the same queries again."""
    from storage.maintenance import compact

    t = time.perf_counter()
    rep = compact(store.engine)
    took = time.perf_counter() - t
    lat = bench_store(store, qs)
    print(f"  after `daihuo maintain` ({took:,.0f} s, {rep.steps} steps: full-text index "
          f"{rep.segments_before} segments -> {rep.segments_after}):")
    print(latency_line("two words, page of 20 + snippets", lat["plain"]))
    print(latency_line("two words + platform filter + snippets", lat["platform"]))
    print(latency_line("two words + snippets + facet counts", lat["facets"]))


# -- Whoosh -----------------------------------------------------------------------------------
class WhooshIndex:
    """Whoosh + jieba's ChineseAnalyzer over the same seeded corpus, built in a process of its
    own (``start``) while the store loads: the peer's indexing is timed on its own CPU, and the
    run does not wait for Whoosh's pure-Python indexing after the store's."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.built: dict = {}
        self._proc = None
        self._done = None

    def start(self, n: int, seed: int = 0, reuse: bool = False) -> None:
        """Build in a child process; with ``reuse``, an index a previous run left is kept."""
        marker = self.path / "built.json"
        if reuse and marker.exists():
            self.built = json.loads(marker.read_text())
            return
        shutil.rmtree(self.path, ignore_errors=True)
        ctx = mp.get_context("fork")
        self._done = ctx.Queue()
        self._proc = ctx.Process(target=_whoosh_build, args=(self.path, n, seed, self._done), daemon=True)
        self._proc.start()

    def wait(self) -> dict:
        if self._proc is not None:
            self.built = self._done.get()
            self._proc.join()
            (self.path / "built.json").write_text(json.dumps(self.built))
        return self.built

    def size(self) -> int:
        return sum(f.stat().st_size for f in self.path.iterdir() if f.suffix != ".json")

    def bench(self, qs: list[tuple[str, str]]) -> dict[str, list[float]]:
        from whoosh import index, qparser
        from whoosh.query import Term

        ix = index.open_dir(str(self.path))
        out: dict[str, list[float]] = {"plain": [], "platform": [], "facets": []}
        facets = ["platform", "topic", "entity", "source", "month"]  # counted over all matches
        with ix.searcher() as s:
            parser = qparser.MultifieldParser(["title", "body"], ix.schema,
                                              fieldboosts={"title": 10.0, "body": 1.0})

            def run(q: str, plat: str | None, grouped: bool = False) -> None:
                hits = s.search(parser.parse(q), limit=20, filter=Term("platform", plat) if plat else None,
                                groupedby=facets if grouped else None)
                len(hits)  # the exact total, as the app's answers carry
                for h in hits:
                    h.highlights("body")
                if grouped:
                    for f in facets:
                        hits.groups(f)

            for q, _ in qs[:20]:
                run(q, None)
            for q, plat in qs:
                out["plain"].append(timed(run, q, None)[0])
                out["platform"].append(timed(run, q, plat)[0])
                out["facets"].append(timed(run, q, None, True)[0])
        return out


def _whoosh_build(path: Path, n: int, seed: int, done) -> None:  # noqa: ANN001
    """Index ``corpus(n, seed)`` (the documents the store loads) with Whoosh; puts the docs
    indexed, this process's CPU seconds and wall seconds on ``done``."""
    from jieba.analyse import ChineseAnalyzer
    from whoosh import fields, index

    os.nice(NICE)  # shares the second core with segmentation; the store's writer keeps its own
    schema = fields.Schema(
        id=fields.ID(stored=True, unique=True), title=fields.TEXT(stored=True, analyzer=ChineseAnalyzer()),
        body=fields.TEXT(stored=True, analyzer=ChineseAnalyzer()), platform=fields.KEYWORD(commas=True),
        topic=fields.KEYWORD(commas=True), entity=fields.KEYWORD(commas=True), source=fields.ID,
        month=fields.ID, url=fields.STORED)
    path.mkdir(parents=True, exist_ok=True)
    t, c = time.perf_counter(), time.process_time()
    writer = index.create_in(str(path), schema).writer(limitmb=512)
    docs = 0
    for d, _ in corpus(n, seed):
        writer.add_document(id=d["url"], title=d["title"], body=d["body"],
                            platform=",".join(d["platforms"]), topic=",".join(d["topics"]),
                            entity=",".join(d["entities"]), source=d["source"],
                            month=d["published"].strftime("%Y-%m"), url=d["url"])
        docs += 1
    writer.commit()
    done.put({"docs": docs, "cpu_s": time.process_time() - c, "wall_s": time.perf_counter() - t})


# -- main -------------------------------------------------------------------------------------
def sqlite_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def pg_size(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(text(
            "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = current_schema() AND c.relkind = 'r'")).scalar())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--pg", action=argparse.BooleanOptionalAction, default=True,
                    help="also load the first size into PostgreSQL at 127.0.0.1:5432")
    ap.add_argument("--whoosh", action=argparse.BooleanOptionalAction, default=True,
                    help="also index the first size with Whoosh + jieba ChineseAnalyzer")
    ap.add_argument("--dir", type=Path, default=None, help="where the databases go (default: a temp dir)")
    ap.add_argument("--reuse", action="store_true",
                    help="query an SQLite database a previous run left in --dir instead of loading")
    ap.add_argument("--maintain", action="store_true",
                    help="after timing the queries, compact as `daihuo maintain` does and time them again")
    ap.add_argument("--capped", action=argparse.BooleanOptionalAction, default=True,
                    help="also time SQLite FTS5 as it was before issue 19 (candidate and scan caps)")
    ap.add_argument("--tantivy", action=argparse.BooleanOptionalAction, default=False,
                    help="also time the bench-only tantivy candidate (bench/tantivy_candidate.py; the app's "
                         "own index is always timed as the app engine)")
    ap.add_argument("--export", action=argparse.BooleanOptionalAction, default=True,
                    help="time `daihuo export` of a query matching at least half the corpus")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    workdir = args.dir or Path(tempfile.mkdtemp(prefix="daihuo-search-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    qs = queries(args.queries)
    print(f"search bench: {os.cpu_count()} CPUs ({machine_speed()}), sizes {sizes}, {len(qs)} two-word queries "
          f"(e.g. {qs[0][0]!r}, {qs[1][0]!r}); app engine: storage.search.search as the app calls it")
    results: dict[str, dict] = {}
    for k, n in enumerate(sizes):
        path = workdir / f"search-{n}.sqlite"
        wh = WhooshIndex(workdir / f"whoosh-{n}") if args.whoosh and k == 0 else None
        if wh:
            wh.start(n, reuse=args.reuse)
        if args.reuse and path.exists():
            store = open_store(f"sqlite:///{path}")
            info = reused(store)
        else:
            for p in workdir.glob(path.name + "*"):
                p.unlink()
            store = open_store(f"sqlite:///{path}")
            info = load(store, n)
        with store.engine.connect() as conn:  # what a deployment does after a bulk load
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        index = search_mod.attached_index(store.engine)  # the app's engine (daihuo.system)
        built = build_index(index) if index is not None else None
        lat = bench_store(store, qs)
        engine_name = ("tantivy index derived from SQLite (storage.search -> storage.search_index)"
                       if index is not None else "SQLite FTS5, exact (storage.search)")
        report_store(f"app engine: {engine_name}", n, info, sqlite_size(path), lat)
        if built:
            print(f"  index build (`daihuo search-index rebuild`): {built['docs'] / built['seconds']:,.0f} docs/s "
                  f"({built['seconds']:.0f} s), {built['bytes'] / 1e6:,.0f} MB "
                  f"({built['bytes'] / max(built['docs'], 1) / 1024:.2f} KB/doc)")
        results[f"sqlite-{n}"] = lat
        if index is not None:  # the SQL engine, the parity reference, through the same call
            search_mod.attach_index(store.engine, None)
            try:
                slat = bench_store(store, qs)
            finally:
                search_mod.attach_index(store.engine, index)
            print("\nSQLite FTS5, exact SQL engine (storage.search without the index), same database")
            print_latencies(slat)
            print_ratios("app engine (tantivy) vs SQL FTS5", lat, slat)
            print(f"  same totals as the SQL engine on {agreeing_totals(store, qs[:40])} of {len(qs[:40])} queries "
                  "(collapsed, with and without the platform filter)")
        if args.capped:
            capped_mod = capped_fts5.load()
            with capped_fts5.title_index(store.engine) as built_s:
                clat = bench_store(store, qs, capped_mod)
            print(f"\nSQLite FTS5 as before issue 19 (newest {capped_mod.CANDIDATE_CAP:,} matches ranked and "
                  f"faceted, {capped_mod.SCAN_CAP:,} scanned), same database (its titles' index built for it"
                  f" in {built_s:,.1f} s, dropped after)")
            print_latencies(clat)
            print_ratios("app engine vs capped", lat, clat)
        if args.tantivy:
            bench_tantivy(store, workdir / f"tantivy-{n}", qs, lat, n)
        if args.export:
            bench_export(path, store, n)
        if args.maintain:
            report_maintained(store, qs)
        store.close()
        if wh:
            built = wh.wait()
            print(f"\nWhoosh 2.7 + jieba ChineseAnalyzer, same {built['docs']:,} documents (indexed in a "
                  "process of its own while the store loaded)")
            print(f"  index: {built['docs'] / built['cpu_s']:,.0f} docs per CPU s ({built['wall_s']:,.0f} s wall), "
                  f"{wh.size() / 1e6:,.0f} MB ({wh.size() / max(built['docs'], 1) / 1024:.2f} KB/doc)")
            wlat = wh.bench(qs)
            print(latency_line("two words, top 20 + total + highlights", wlat["plain"]))
            print(latency_line("two words + platform filter + highlights", wlat["platform"]))
            print(latency_line("two words + highlights + facet counts", wlat["facets"]))
            print_ratios("app engine vs Whoosh", lat, wlat)
            if not args.dir:
                shutil.rmtree(wh.path, ignore_errors=True)
        if args.pg and k == 0:
            bench_pg(n, qs)
    if not args.dir:
        shutil.rmtree(workdir, ignore_errors=True)


def build_index(index) -> dict:  # noqa: ANN001
    """Build the store's derived index as `daihuo search-index rebuild` does; rate and size."""
    t = time.perf_counter()
    docs = index.rebuild()
    took = time.perf_counter() - t
    return {"docs": docs, "seconds": took, "bytes": index.size()}


def agreeing_totals(store: Store, qs: list[tuple[str, str]]) -> int:
    """On how many queries the app's engine and the SQL engine give the same exact totals."""
    from daihuo.analysis.query_terms import query_terms

    eng = store.engine
    index = search_mod.attached_index(eng)
    same = 0
    for q, plat in qs:
        reqs = [SearchRequest(q, facets=False, per_page=1), SearchRequest(q, platform=plat, facets=False, per_page=1)]
        ours = [search_mod.search(eng, r, query_terms).total for r in reqs]
        search_mod.attach_index(eng, None)
        try:
            theirs = [search_mod.search(eng, r, query_terms).total for r in reqs]
        finally:
            search_mod.attach_index(eng, index)
        same += ours == theirs
    return same


def print_ratios(label: str, a: dict[str, list[float]], b: dict[str, list[float]]) -> None:
    """p95 of ``a`` over p95 of ``b`` for each figure (>1: ``a`` is slower)."""
    parts = [f"{k} {pct(a[k], 95) / max(pct(b[k], 95), 1e-9):.2f}x" for k in ("plain", "platform", "facets")
             if a.get(k) and b.get(k)]
    print(f"  p95 ratio, {label}: " + ", ".join(parts))


def bench_tantivy(store: Store, path: Path, qs: list[tuple[str, str]], exact: dict, n: int) -> None:
    try:
        from bench.tantivy_candidate import TantivyCandidate
    except ImportError as exc:  # pragma: no cover
        print(f"\ntantivy skipped: {exc}")
        return
    from collections import namedtuple
    from importlib.metadata import version

    from daihuo.analysis.query_terms import query_terms
    from storage.search import hit_details

    Ranked = namedtuple("Ranked", "id score")  # noqa: PYI024
    shutil.rmtree(path, ignore_errors=True)
    try:
        cand = TantivyCandidate(path)
    except ImportError:
        print("\ntantivy skipped: pip install tantivy")
        return
    built = cand.catch_up(store.engine)
    print(f"\ntantivy {version('tantivy')} index derived from the store (whitespace tokenizer over the stored jieba terms), {built['docs']:,} docs")
    print(f"  build (catch-up from the store, one writer thread): {built['docs'] / built['seconds']:,.0f} docs/s, "
          f"{cand.size() / 1e6:,.0f} MB ({cand.size() / max(built['docs'], 1) / 1024:.2f} KB/doc)")
    eng = store.engine

    def run(q: str, plat: str | None, facets: bool) -> tuple[int, dict]:
        words = query_terms(q)
        count, ids, fac = cand.search(words, plat, facets=facets)
        with eng.connect() as conn:  # snippets from the store's bodies, as storage.search does
            hit_details(conn, [Ranked(i, 0.0) for i in ids], words, True)
        return count, fac

    for q, _ in qs[:20]:
        run(q, None, False)
    lat: dict[str, list[float]] = {"plain": [], "platform": [], "facets": [], "hits": [], "exact": []}
    agree = 0
    for q, plat in qs:
        lat["plain"].append(timed(run, q, None, False)[0])
        ms, (count, _) = timed(run, q, plat, False)
        lat["platform"].append(ms)
        lat["hits"].append(count)
        lat["exact"].append(True)
        lat["facets"].append(timed(run, q, None, True)[0])
    print_latencies(lat, "(articles, not stories) ")
    print_ratios("tantivy vs exact FTS5", lat, exact)
    sample = qs[:20]  # the counts agree with the SQL engine's (articles, not collapsed)
    from daihuo.analysis.query_terms import query_terms as qt
    for q, plat in sample:
        sql = search_mod.count(eng, SearchRequest(q, platform=plat, collapse=False), qt)
        agree += sql == cand.search(qt(q), plat)[0]
    print(f"  exact counts equal to storage.search's (uncollapsed) on {agree} of {len(sample)} sampled queries")
    shutil.rmtree(path, ignore_errors=True)


def bench_export(path: Path, store: Store, n: int) -> None:
    """`daihuo export` (CSV to a file) of the most common query the corpus offers, in a child
    process: rows/s and its peak RSS."""
    import subprocess

    from daihuo.analysis.query_terms import query_terms

    best = ("", 0)
    for q in ("直播", "电商", "平台", "商家", "直播 OR 电商", "直播 OR 电商 OR 商家 OR 平台"):
        c = search_mod.count(store.engine, SearchRequest(q, collapse=False), query_terms)
        if c > best[1]:
            best = (q, c)
        if c >= n / 2:
            break
    q, matches = best
    out = path.parent / "export.csv"
    wrapper = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
               "r = subprocess.run(sys.argv[1:]); took = time.perf_counter() - t; "
               "print(f'#{took} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}', file=sys.stderr); "
               "sys.exit(r.returncode)")
    env = {**os.environ, "DAIHUO_DATABASE_URL": f"sqlite:///{path}", "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-c", wrapper, sys.executable, "-m", "daihuo", "export", q, "--expand",
           "--format", "csv", "--out", str(out)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    lines = done.stderr.strip().splitlines()
    timing = next((ln for ln in lines if ln.startswith("#")), None)
    summary = next((ln for ln in reversed(lines) if "search total" in ln), "")  # not a progress line
    if done.returncode or not timing:
        print(f"\n`daihuo export` failed: {done.stderr[-500:]}")
        return
    took, rss_kb = timing[1:].split()
    rows = int(summary.split()[1].replace(",", ""))
    print(f"\n`daihuo export {q!r} --expand --format csv --out FILE`: {matches:,} matches "
          f"({matches / max(n, 1):.0%} of the corpus)")
    print(f"  {summary}")
    print(f"  {rows / float(took):,.0f} rows/s ({float(took):.1f} s incl. process start), peak RSS "
          f"{int(rss_kb) / 1024:,.0f} MB, {out.stat().st_size / 1e6:,.0f} MB written")
    out.unlink()


def bench_pg(n: int, qs: list[tuple[str, str]]) -> None:
    try:
        import psycopg

        schema = f"bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG_DSN, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
    except Exception as exc:  # noqa: BLE001
        print(f"\nPostgreSQL skipped: {type(exc).__name__}: {exc}".splitlines()[0])
        return
    try:
        store = open_store(f"{PG_URL}?options=-csearch_path%3D{schema}")
        info = load(store, n)
        with store.engine.connect() as conn:
            conn.execute(text("ANALYZE"))
        lat = bench_store(store, qs)
        report_store("PostgreSQL tsvector + GIN", n, info, pg_size(store), lat)
        store.close()
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


if __name__ == "__main__":
    main()
