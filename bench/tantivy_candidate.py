"""BENCHMARK CANDIDATE: a tantivy index derived from the SQL store, as the issue's anchor
proposes (PyPI ``tantivy``), measured beside the exact SQL engines; not used by the app.

The index is built from the store's own segmented terms (title_terms, body_terms: jieba
search mode, whitespace-separated, so tantivy's ``whitespace`` tokenizer needs no Chinese
analysis), with the filterable values as raw fast fields (platform, topic, entity: several per
article; source; month) and the article id / publication time as fast fields. A derived index
catches up from the store by article id (the watermark is the largest indexed id), so a
rebuild or a crash costs a re-read of what it had not committed.

Queries mirror storage.search's semantics: every word must match (title or body), scored by
bm25 with the title boosted BOOST_TITLE; an exact count over every match; facet counts from
terms aggregations whose per-segment size exceeds the field's cardinality (so they are exact);
snippets from the store's bodies of the 20 hits. Not covered: story collapsing (the count is of
articles) and PostgreSQL.
"""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import Engine, text

BOOST_TITLE = 10.0
FACETS = ("platform", "topic", "entity", "source", "month")
EXACT_BUCKETS = 100_000  # per-segment terms size: above any facet's cardinality → exact counts


def _schema():  # noqa: ANN202
    import tantivy

    sb = tantivy.SchemaBuilder()
    sb.add_unsigned_field("id", stored=True, indexed=True, fast=True)
    sb.add_integer_field("published", fast=True)
    sb.add_text_field("title", tokenizer_name="whitespace")
    sb.add_text_field("body", tokenizer_name="whitespace")
    for f in FACETS:
        sb.add_text_field(f, tokenizer_name="raw", fast=True, index_option="basic")
    return sb.build()


class TantivyCandidate:
    def __init__(self, path: Path) -> None:
        import tantivy

        path.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.schema = _schema()
        self.index = tantivy.Index(self.schema, path=str(path))

    def catch_up(self, engine: Engine, batch: int = 5000, heap_mb: int = 256) -> dict:
        """Index every article past the watermark (largest indexed id); returns rates."""
        import tantivy

        self.index.reload()
        searcher = self.index.searcher()
        mark = 0
        if searcher.num_docs:
            top = searcher.search(tantivy.Query.all_query(), limit=1, order_by_field="id")
            mark = searcher.doc(top.hits[0][1])["id"][0] if top.hits else 0
        writer = self.index.writer(heap_size=heap_mb * 1024 * 1024, num_threads=1)
        t0 = time.perf_counter()
        n = 0
        dialect = engine.dialect.name
        month = "substr(a.published_at, 1, 7)" if dialect == "sqlite" else "to_char(a.published_at, 'YYYY-MM')"
        with engine.connect() as conn:
            while True:
                rows = conn.execute(text(
                    f"SELECT a.id, a.title_terms, a.body_terms, a.published_at, {month} AS month, s.name AS source"
                    " FROM articles a LEFT JOIN sources s ON s.id = a.source_id WHERE a.id > :m ORDER BY a.id"
                    " LIMIT :b"), {"m": mark, "b": batch}).all()
                if not rows:
                    break
                ids = ",".join(str(r.id) for r in rows)
                tags: dict[int, dict[str, list[str]]] = {}
                for t in conn.execute(text(f"SELECT article_id, kind, value FROM tags WHERE article_id IN ({ids})"
                                           " AND kind IN ('platform', 'topic', 'entity')")):
                    tags.setdefault(t.article_id, {}).setdefault(t.kind, []).append(t.value)
                for r in rows:
                    doc = tantivy.Document()
                    doc.add_unsigned("id", r.id)
                    pub = r.published_at
                    doc.add_integer("published", int(_epoch(pub)))
                    doc.add_text("title", r.title_terms or "")
                    doc.add_text("body", r.body_terms or "")
                    for kind, values in tags.get(r.id, {}).items():
                        for v in values:
                            doc.add_text(kind, v)
                    if r.source:
                        doc.add_text("source", r.source)
                    if r.month:
                        doc.add_text("month", r.month)
                    writer.add_document(doc)
                n += len(rows)
                mark = rows[-1].id
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()
        took = time.perf_counter() - t0
        return {"docs": n, "seconds": took}

    def size(self) -> int:
        return sum(p.stat().st_size for p in self.path.iterdir() if p.is_file())

    def _query(self, words: list[str], platform: str | None):  # noqa: ANN202
        import tantivy

        Occur = tantivy.Occur
        musts = []
        for w in words:
            either = tantivy.Query.boolean_query([
                (Occur.Should, tantivy.Query.boost_query(tantivy.Query.term_query(self.schema, "title", w),
                                                         BOOST_TITLE)),
                (Occur.Should, tantivy.Query.term_query(self.schema, "body", w))])
            musts.append((Occur.Must, either))
        if platform:
            musts.append((Occur.Must, tantivy.Query.const_score_query(
                tantivy.Query.term_query(self.schema, "platform", platform), 0.0)))
        return tantivy.Query.boolean_query(musts)

    def search(self, words: list[str], platform: str | None = None, *, limit: int = 20,
               facets: bool = False) -> tuple[int, list[int], dict]:
        """(exact count, top ids by bm25, facets {field: {value: n}})."""
        searcher = self.index.searcher()
        q = self._query(words, platform)
        res = searcher.search(q, limit=limit, count=True)
        ids = [searcher.doc(addr)["id"][0] for _, addr in res.hits]
        out: dict = {}
        if facets:
            spec = {f: {"terms": {"field": f, "size": 20 if f != "month" else 60,
                                  "segment_size": EXACT_BUCKETS}} for f in FACETS}
            agg = searcher.aggregate(q, spec)
            out = {f: {b["key"]: b["doc_count"] for b in agg[f]["buckets"]} for f in FACETS}
        return res.count, ids, out


def _epoch(value) -> float:  # noqa: ANN001
    from datetime import datetime, timezone

    if value is None:
        return 0
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.timestamp()
