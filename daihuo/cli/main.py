"""The ``daihuo`` command line: a thin shell over the library (no SQL or parsing here)."""

from __future__ import annotations

import json
import sys
import time
from datetime import date, datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from daihuo.cli.context import cli_engine, cli_system, echo_json
from storage.config import redact

#: dates are stored in UTC and shown in China time, where the sources publish
DISPLAY_TZ = ZoneInfo("Asia/Shanghai")


def _pad(text: str, width: int, right: bool = False) -> str:
    """Pad to a display width: CJK characters take two terminal columns."""
    import unicodedata

    cols = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    fill = " " * max(0, width - cols)
    return fill + text if right else text + fill


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="daihuo")
def main() -> None:
    """daihuo (带货): crawl, clean, tag and search Chinese live-commerce news.

    \b
    Start here:   daihuo demo            (crawls a bundled local site, no network)
    Then:         daihuo search 直播带货  (searches what was stored)
    The store is SQLite in $DAIHUO_HOME (default: your data directory), or any
    database given as DAIHUO_DATABASE_URL (e.g. postgresql+psycopg://host/db).
    """
    cli_system()  # the composition root: configuration, lexicons; the store on first use


def _corpus_idf():  # noqa: ANN202
    """The corpus IDF `daihuo reprocess` built, if any (keywords fall back to jieba's)."""
    return cli_system().idf()


# -- demo ------------------------------------------------------------------------------------
@main.command()
@click.option("--serve", is_flag=True, help="Keep the demo site running after the crawl (Ctrl-C stops).")
def demo(serve: bool) -> None:
    """Crawl the bundled demo site into the store, then run sample searches.

    Serves the demo site on 127.0.0.1 (a free port), crawls it with the real spider and
    pipelines, and prints what happened. Demo sources (demo-*) are replaced on each run;
    nothing else in the store is touched.
    """
    from crawlers.registry import parse_source
    from daihuo.demo.demo_server import DemoServer, demo_sources
    from daihuo.runs.crawling import run_crawl

    system = cli_system()
    click.echo(f"store: {redact(system.config.database_url)}")
    engine = cli_engine()
    t0 = time.perf_counter()
    with DemoServer() as server:
        click.echo(f"demo site: {server.base_url}/")
        sources = [parse_source(s) for s in demo_sources(server.base_url)]
        store = system.store()
        store.delete_sources(s.name for s in sources)
        store.sync_sources({"name": s.name, "kind": s.kind, "config": s.to_dict()} for s in sources)
        del engine
        # the demo site is on 127.0.0.1: the network guard lets the demo (only) reach it
        summary = run_crawl(system, sources, trigger="demo", progress=True,
                            DAIHUO_ALLOWED_NETWORKS=["127.0.0.1/32"])
        elapsed = time.perf_counter() - t0
        _print_summary(summary, elapsed, first_run=True)  # its sources were just replaced
        click.echo("\nsample searches:")
        for q, platform in (("直播带货", "快手"), ("直播间", None), ("产业带", None), ("私域流量", None)):
            label = f"{q}" + (f" --platform {platform}" if platform else "")
            click.echo(f"\n$ daihuo search {label}")
            _run_search(q, platform=platform, since=None, limit=3, as_json=False)
        if serve:
            _wait_for_stop_signal(f"\nserving {server.base_url}/ — Ctrl-C (or SIGTERM) stops it")
    # the site is gone: its sources would only fail (and alert) if run or scheduled now
    _disable_demo_sources(cli_engine(), [s.name for s in sources], serve)
    from daihuo.cli.demo_summary import NEXT_STEPS

    click.echo("\n" + NEXT_STEPS)


def _wait_for_stop_signal(message: str) -> None:
    """Say ``message``, then block until SIGINT or SIGTERM. Scrapy's reactor leaves its own
    handlers installed after a crawl (they would swallow both), so ours go in first, before
    the message invites the signal."""
    import signal
    import threading

    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    click.echo(message)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)


def _disable_demo_sources(engine, names: list[str], served: bool) -> None:  # noqa: ANN001
    from editorial.sources import SourceError, set_enabled

    for name in names:
        try:
            set_enabled(engine, name, False, "demo")
        except SourceError:
            pass
    when = "the demo site stopped" if served else "the demo site only runs during `daihuo demo`"
    click.echo(f"\ndemo sources disabled ({when}; `daihuo demo --serve` keeps it up): {', '.join(names)}")


def _print_summary(summary, elapsed: float, first_run: bool = False) -> None:  # noqa: ANN001
    from daihuo.cli.demo_summary import drop_reasons, ordered_timings

    s = summary.get
    click.echo(f"\nrun #{summary.run_id} {summary.status} in {elapsed:.1f}s")
    click.echo(f"  pages fetched:    {s('response_received_count')}"
               f" (robots.txt forbidden: {s('downloader/exception_type_count/scrapy.exceptions.IgnoreRequest')})")
    click.echo(f"  articles stored:  {s('daihuo/stored')} new, {s('daihuo/updated')} updated")
    refused = summary.prefixed("daihuo/netguard/refused/")
    if refused:
        click.echo("  refused (internal address): " + ", ".join(f"{k}: {v}" for k, v in refused.items()))
    dropped = summary.prefixed("daihuo/dropped/")
    click.echo(f"  dropped:          {s('daihuo/dropped')}"
               + (" (" + ", ".join(drop_reasons(dropped, first_run)) + ")" if dropped else ""))
    failed = summary.prefixed("daihuo/failed/")
    click.echo(f"  kept as failed:   {s('daihuo/failed')}"
               + (" (" + ", ".join(f"at {k}: {v}" for k, v in failed.items()) + ")" if failed else ""))
    if s("daihuo/listings/parsed") or s("daihuo/listing_pages"):
        click.echo(f"  listings:         {s('daihuo/listings/parsed')} parsed from {s('daihuo/listing_pages')}"
                   f" pages, {s('daihuo/listings/removed')} marked removed")
    timings = summary.prefixed("daihuo/time_ms/")
    if timings:
        click.echo("  stage time (ms):  " + ", ".join(f"{k} {v:.0f}" for k, v in ordered_timings(timings)))
    if s("daihuo/spooled"):
        click.echo(f"  spooled (store unavailable, will be replayed): {s('daihuo/spooled')}")


# -- crawl -----------------------------------------------------------------------------------
@main.command()
@click.argument("sources", nargs=-1)
@click.option("--all", "all_", is_flag=True, help="Crawl every enabled source in the store.")
@click.option("--full", is_flag=True, help="Fetch every article again (default: incremental, by age).")
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log.")
def crawl(sources: tuple[str, ...], all_: bool, full: bool, verbose: bool) -> None:
    """Crawl SOURCES (names of stored sources) into the store, recording the run.

    Sources live in the store: add them in the console, with `daihuo sources add`, or
    import a TOML file with `daihuo sources import FILE`. The crawl takes the same
    one-run-per-source lock as the console and the scheduler, so a source already being
    crawled is refused. Exit status: 0 when the run finished (with or without page errors),
    1 when it failed.
    """
    from daihuo.runs.crawling import run_crawl, stored_sources
    from daihuo.runs.lifecycle import RunError

    system = cli_system()
    cli_engine()
    try:
        chosen = stored_sources(system, list(sources), all_enabled=all_)
    except RunError as exc:
        raise click.UsageError(str(exc)) from None
    from crawlers.rendering import RenderUnavailable, check_sources

    try:
        check_sources(chosen)  # render = auto/always needs scrapy-playwright and Chromium
    except RenderUnavailable as exc:
        raise click.ClickException(str(exc)) from None
    t0 = time.perf_counter()
    if system.config.redis_url:  # distributed mode: seed the shared queues, help drain them
        from daihuo.runs.worker import finish_run, run_worker, seed_run

        run_id = seed_run(chosen, trigger="cli", system=system)
        click.echo(f"run #{run_id} seeded in Redis; crawling here too (more machines: `daihuo worker`)")
        run_worker(chosen, exit_when_done=True, log_level="INFO" if verbose else "WARNING", system=system)
        click.echo(f"run #{run_id}: {finish_run([s.name for s in chosen], system=system) or 'still running on other workers'}")
        return
    try:
        summary = run_crawl(system, chosen, progress=not verbose,
                            log_level="INFO" if verbose else "WARNING",
                            **({"DAIHUO_INCREMENTAL": False} if full else {}))
    except RunError as exc:  # e.g. the source is being crawled by another run
        raise click.ClickException(str(exc)) from None
    _print_summary(summary, time.perf_counter() - t0)
    if summary.status not in ("finished", "finished_with_errors"):
        sys.exit(1)


@main.command()
@click.argument("sources", nargs=-1, required=True)
@click.option("--forever", is_flag=True, help="Stay up and take every new run (default: exit when drained).")
@click.option("--log-level", default="INFO", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]))
def worker(sources: tuple[str, ...], forever: bool, log_level: str) -> None:
    """Run a crawl worker in distributed mode (needs DAIHUO_REDIS_URL and a shared store).

    Takes requests for SOURCES (stored sources) from the shared Redis queues with a lease,
    respects one per-site rate shared by all workers, and stores items in
    DAIHUO_DATABASE_URL. Start a crawl with `daihuo crawl SOURCE` (it seeds the queues),
    then start workers. SIGINT/SIGTERM stop it gracefully.
    """
    from daihuo.runs.crawling import stored_sources
    from daihuo.runs.lifecycle import RunError
    from daihuo.runs.worker import run_worker

    system = cli_system()
    if not system.config.redis_url:
        raise click.UsageError("set DAIHUO_REDIS_URL (e.g. redis://10.0.0.5:6379/0) to run workers")
    cli_engine()
    try:
        chosen = stored_sources(system, list(sources))
    except RunError as exc:
        raise click.UsageError(str(exc)) from None
    run_worker(chosen, exit_when_done=not forever, log_level=log_level, system=system)


# -- parse -----------------------------------------------------------------------------------
def _iter_files(paths: tuple[Path, ...]):  # noqa: ANN202
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file()
                              and p.suffix.lower() in (".html", ".htm", ".txt", ".shtml", ".xhtml"))
        else:
            yield path


def page_from_file(path: Path, url: str | None):  # noqa: ANN201
    """A saved page as a Page. A plain-text dump (no markup) becomes one <p> per line."""
    import html as htmlmod

    from nlp.document import Page

    body = path.read_bytes()
    if b"<" not in body[:4096] and path.suffix.lower() == ".txt":
        text = body.decode("utf-8", "replace")
        paras = "".join(f"<p>{htmlmod.escape(line)}</p>\n" for line in text.splitlines())
        body = f'<html><head><meta charset="utf-8"></head><body>{paras}</body></html>'.encode()
    mtime = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
    return Page(url=url or path.resolve().as_uri(), body=body, fetched_at=mtime)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--url", help="The page's URL (for one file): resolves links, picks the region.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Write <name>.json and <name>.txt (title line, then body) here instead of stdout.")
@click.option("--kind", type=click.Choice(["auto", "article", "listings"]), default="auto", show_default=True,
              help="auto: an article, or the page's listings when it is a listing page with no article.")
def parse(files: tuple[Path, ...], url: str | None, out: Path | None, kind: str = "auto") -> None:
    """Run saved pages through the whole pipeline, no crawl and no store.

    Prints one JSON object per page (kind, url, title, published, authors, body, script,
    platforms, keywords, listings, flags, ...). Bytes are decoded with the page's own charset.
    A listing page (account cards, no article) gives kind "listings" and its listings, with
    the store's field names (see pipelines/listing_front.py).
    """
    from nlp.document import process_page
    from pipelines.convert import document_to_json
    from pipelines.listing_front import page_result

    paths = list(_iter_files(files))
    if url and len(paths) > 1:
        raise click.UsageError("--url applies to a single file")
    if out:
        out.mkdir(parents=True, exist_ok=True)
    idf = _corpus_idf()
    for path in paths:
        result = page_result(process_page(page_from_file(path, url), idf=idf), kind, document_to_json)
        if out:
            (out / f"{path.stem}.json").write_text(
                json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
            (out / f"{path.stem}.txt").write_text(
                (result["title"] or "") + "\n" + result["body"] + "\n", encoding="utf-8")
        else:
            echo_json(result)
        if result["error"]:
            click.echo(f"{path}: {result['error_stage']}: {result['error']}", err=True)


# -- search ----------------------------------------------------------------------------------
def _resolve_filters(engine, **filters: str | None) -> dict:  # noqa: ANN001
    """Filter values made canonical (xiaohongshu → 小红书); an unknown one is a usage error
    naming the closest known values."""
    from editorial.filter_values import UnknownFilterValue, resolve_filters

    try:
        named = resolve_filters(engine, **filters)
    except UnknownFilterValue as exc:
        raise click.UsageError(str(exc)) from None
    for kind, value in filters.items():  # say what an alias was taken for
        if value and named[kind] != value.strip():
            click.echo(f"({kind} {value!r} → {named[kind]})", err=True)
    return named


def _run_search(query: str, *, platform: str | None, since: date | None, limit: int,
                as_json: bool, collapse: bool = True, sort: str = "relevance") -> None:
    from daihuo.analysis.query_terms import query_terms
    from storage.search import QueryError, SearchRequest, search

    engine = cli_engine()
    if platform:
        platform = _resolve_filters(engine, platform=platform)["platform"]
    req = SearchRequest(query, platform=platform,
                        since=datetime.combine(since, datetime.min.time(), timezone.utc) if since else None,
                        per_page=limit, collapse=collapse, sort=sort, facets=False)
    try:
        result = search(engine, req, query_terms)
    except QueryError as exc:
        raise click.ClickException(str(exc)) from None
    hits = result.hits
    if as_json:
        for h in hits:
            echo_json({**h.__dict__, "published_at": h.published_at.isoformat() if h.published_at else None})
        return
    if not hits:
        click.echo("  (no results)")
    for i, h in enumerate(hits, 1):
        day = h.published_at.astimezone(DISPLAY_TZ).date().isoformat() if h.published_at else "----------"
        plats = " ".join(f"#{p}" for p in h.platforms)
        also = f"  (+{h.cluster_size - 1} reposts)" if collapse and h.cluster_size > 1 else ""
        click.echo(f"{i:>3}. {h.title or '(untitled)'}{also}")
        click.echo(f"     {day}  {h.source or '-'}  {plats}  {h.url}")
        click.echo(f"     {h.snippet}")


@main.command(name="search")
@click.argument("query", required=False, default="")
@click.option("--platform", help="Only articles tagged with this platform (e.g. 快手).")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="Published on or after (YYYY-MM-DD).")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 1000))
@click.option("--sort", type=click.Choice(["relevance", "date"]), default="relevance", show_default=True)
@click.option("--expand", is_flag=True, help="Show every repost, not one hit per story.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per hit.")
def search_cmd(query: str, platform: str | None, since: datetime | None, limit: int, sort: str,
               expand: bool, as_json: bool) -> None:
    """Full-text search of stored articles, best match first; one hit per story. With an
    empty query and --platform or --since, browse the newest articles they select.

    The query is segmented like the articles (Traditional input is converted); every
    word must match. "exact phrase", OR, NOT or -word work too. Matched words are
    marked 【like this】 in the snippet.
    """
    _run_search(query, platform=platform, since=since.date() if since else None, limit=limit,
                collapse=not expand, sort=sort,
                as_json=as_json)


# -- reprocess -------------------------------------------------------------------------------
@main.command()
@click.option("--batch", default=100, show_default=True, type=click.IntRange(1, 10000))
@click.option("--min-docs", default=20, show_default=True, type=click.IntRange(1),
              help="Rebuild the corpus IDF only when the store holds at least this many articles.")
def reprocess(batch: int, min_docs: int) -> None:
    """Re-run the pipeline over every stored raw page (no re-crawl).

    Use it after improving the cleaner or the lexicons: articles are updated in place
    (tags recomputed), pages that failed before get another chance. First rebuilds the
    keyword IDF from the stored corpus.
    """
    from nlp.document import Page, process_page
    from nlp.tagging import IdfTable
    from pipelines.convert import document_to_record
    from pipelines.listing_items import batch_to_record, parse_listing_batch

    system = cli_system()
    cli_engine()
    store = system.store()
    n_articles = store.counts()["articles"]
    if n_articles >= min_docs:
        IdfTable.build(store.iter_article_terms()).save(system.config.idf_path)
        system.reload_idf()
        click.echo(f"rebuilt keyword IDF from {n_articles} articles: {system.config.idf_path}")
    idf = _corpus_idf()
    total = store.counts()["raw_pages"]
    counts: dict[str, int] = {}
    pending = []
    done = 0
    source_hints = store.source_hints()

    def flush() -> None:
        for o in store.write(pending):
            counts[o.status] = counts.get(o.status, 0) + 1
        pending.clear()

    with click.progressbar(length=total, label="reprocessing", file=sys.stderr) as bar:
        for raw_id, url, status, fetched_at, headers, source, html in store.iter_raw_pages():
            page = Page(url=url, body=html, status=status, headers=headers, fetched_at=fetched_at,
                        source=source, raw_page_id=raw_id, **source_hints.get(source, {}))
            if page.kind == "listings":
                pending.append(batch_to_record(parse_listing_batch(page)))
            else:
                pending.append(document_to_record(process_page(page, idf=idf)))
            done += 1
            bar.update(1)
            if len(pending) >= batch:
                flush()
        flush()
    store.close()
    click.echo(f"reprocessed {done} pages: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))


# -- listings --------------------------------------------------------------------------------
@main.group(invoke_without_command=True)
@click.option("--platform", help="e.g. 快手, 抖音, 小红书")
@click.option("--category", help="e.g. 自媒体, 美食, 游戏")
@click.option("--min-followers", type=click.IntRange(0), help="At least this many followers.")
@click.option("--verified", is_flag=True, default=None, help="Only verified (已认证) accounts.")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="Seen on or after (YYYY-MM-DD).")
@click.option("--status", type=click.Choice(["active", "removed"]), help="Only active or removed listings.")
@click.option("--json", "fmt", flag_value="json", help="JSON lines.")
@click.option("--csv", "fmt", flag_value="csv", help="CSV with a header row.")
@click.option("--limit", type=click.IntRange(1), default=None)
@click.pass_context
def listings(ctx: click.Context, platform, category, min_followers, verified, since, status, fmt, limit) -> None:  # noqa: ANN001
    """Account listings from trading sites, as tracked over time.

    \b
    daihuo listings --platform 快手 --min-followers 100000 --csv > ks.csv
    daihuo listings stats --since 2026-01-01
    """
    if ctx.invoked_subcommand is not None:
        return
    import csv

    from storage.listing_queries import COLUMNS, query_listings

    engine = cli_engine()
    rows = query_listings(engine, platform=platform, category=category, min_followers=min_followers,
                          verified=verified, since=since.replace(tzinfo=timezone.utc) if since else None,
                          status=status, limit=limit)
    if fmt == "json":
        for r in rows:
            echo_json(r)
    elif fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=list(COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    else:
        if not rows:
            click.echo("(no listings)")
        for r in rows:
            price = ("面议" if r["price_low"] is None else f"¥{r['price_low']:,.0f}"
                     + (f"-{r['price_high']:,.0f}" if r["price_high"] not in (None, r["price_low"]) else ""))
            fans = f"{r['followers']:,}" if r["followers"] is not None else "?"
            flags = " ".join(n for n, v in (("已认证", r["verified"]), ("可直播", r["live_enabled"]),
                                            ("有违规", r["has_violation"])) if v)
            click.echo(f"{_pad(r['platform'] or '?', 10)} {_pad(r['category'] or '-', 6)} {fans:>12} 粉  "
                       f"{_pad(price, 14, right=True)}  "
                       f"{r['status']:<7} {flags}  {r['url'] or r['key']}")


@listings.command(name="stats")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="Seen on or after.")
@click.option("--until", type=click.DateTime(formats=["%Y-%m-%d"]), help="Seen on or before.")
@click.option("--platform", help="Only this platform.")
@click.option("--json", "as_json", is_flag=True)
def listings_stats(since, until, platform, as_json: bool) -> None:  # noqa: ANN001
    """Count, median price and median price per 10,000 followers by platform and category."""
    from storage.listing_queries import listing_stats

    engine = cli_engine()
    groups = listing_stats(engine, since=since.replace(tzinfo=timezone.utc) if since else None,
                           until=until.replace(tzinfo=timezone.utc) if until else None, platform=platform)
    if as_json:
        for g in groups:
            echo_json(g.__dict__)
        return
    click.echo(f"{'platform':<10} {'category':<8} {'count':>6} {'priced':>6} {'median ¥':>10} {'¥/10k fans':>11}")
    for g in groups:
        med = f"{g.median_price:,.0f}" if g.median_price is not None else "-"
        per = f"{g.median_price_per_10k:,.2f}" if g.median_price_per_10k is not None else "-"
        click.echo(f"{_pad(g.platform or '?', 10)} {_pad(g.category or '-', 8)} {g.count:>6} {g.priced:>6} "
                   f"{med:>10} {per:>11}")


# -- lexicon ---------------------------------------------------------------------------------
@main.group()
def lexicon() -> None:
    """Review entity candidates and grow the lexicon (stored in $DAIHUO_HOME/lexicon)."""


@lexicon.command(name="review")
@click.option("--min-docs", default=3, show_default=True, type=click.IntRange(1),
              help="Show candidates seen in at least this many articles.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1))
@click.option("--confirm", "confirm", multiple=True, metavar="NAME:KIND",
              help="Confirm a candidate into the lexicon (KIND: person, brand, mcn, company, place).")
@click.option("--reject", "reject", multiple=True, metavar="NAME", help="Never suggest NAME again.")
def lexicon_review(min_docs: int, limit: int, confirm: tuple[str, ...], reject: tuple[str, ...]) -> None:
    """List recurring unconfirmed people, brands and agencies found by POS tagging.

    \b
    daihuo lexicon review
    daihuo lexicon review --confirm 张小明:person --reject 王总
    then `daihuo reprocess` to re-tag stored articles with the new lexicon.
    """
    from nlp.tagging import EntityTag, confirm_entities, entity_candidates_report, reject_candidates

    kinds = ("person", "brand", "mcn", "company", "place")
    if confirm:
        entries = []
        for item in confirm:
            name, _, kind = item.rpartition(":")
            if not name or kind not in kinds:
                raise click.BadParameter(f"{item!r}: use NAME:KIND with KIND one of {', '.join(kinds)}",
                                         param_hint="--confirm")
            entries.append((name, kind))
        click.echo(f"confirmed {len(entries)} into {confirm_entities(entries)}")
    if reject:
        click.echo(f"rejected {len(reject)} into {reject_candidates(reject)}")
    if confirm or reject:
        return
    cli_engine()
    store = cli_system().store()
    docs = ([EntityTag(name, kind, conf, count, False) for name, kind, conf, count in group]
            for group in store.iter_entity_tags())
    report = entity_candidates_report(docs, min_docs=min_docs, limit=limit)
    store.close()
    if not report:
        click.echo(f"no unconfirmed candidates in {min_docs}+ articles")
        return
    click.echo(f"{'candidate':<12} {'kind':<8} {'docs':>5} {'mentions':>8} {'conf':>5}")
    for c in report:
        click.echo(f"{c.name:<12} {c.kind:<8} {c.docs:>5} {c.mentions:>8} {c.confidence:>5.2f}")


# -- export ----------------------------------------------------------------------------------
@main.command(name="export")
@click.argument("query", required=False, default="")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl", "parquet"]), default="csv", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="File (default: standard output).")
@click.option("--platform")
@click.option("--topic")
@click.option("--entity")
@click.option("--source")
@click.option("--status", type=click.Choice(["new", "approved", "rejected", "published", "unpublished"]))
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--until", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--sort", type=click.Choice(["relevance", "date"]), default="relevance", show_default=True)
@click.option("--expand", is_flag=True, help="Every repost, not one row per story.")
@click.option("--with-body", is_flag=True, help="Include the clean body text.")
@click.option("--no-bom", is_flag=True, help="CSV without the UTF-8 byte-order mark (Excel needs it).")
def export_cmd(query: str, fmt: str, out: Path | None, platform, topic, entity, source, status,  # noqa: ANN001
               since, until, sort: str, expand: bool, with_body: bool, no_bom: bool) -> None:
    """Export every hit of a search (same query syntax as `daihuo search`), or, with an
    empty query and a filter, every article the filter selects (newest first).

    \b
    daihuo export 直播带货 --platform 快手 --format csv --out kuaishou.csv
    daihuo export '"私域流量" -微信' --format jsonl
    daihuo export --platform 小红书 --since 2024-01-01 --format parquet --out xhs.parquet
    """
    from daihuo.analysis.export import plan_export, search_rows, write_rows
    from daihuo.analysis.export_progress import Progress
    from daihuo.analysis.query_terms import query_terms
    from storage.search import QueryError, SearchRequest

    engine = cli_engine()
    try:
        filters = _resolve_filters(engine, platform=platform, topic=topic, entity=entity, source=source)
        req = SearchRequest(query=query, **filters, status=status,
                            since=since.replace(tzinfo=DISPLAY_TZ) if since else None,
                            until=until.replace(tzinfo=DISPLAY_TZ) if until else None,
                            sort=sort, collapse=not expand, snippets=True, facets=False)
        plan = plan_export(engine, req, query_terms)
        progress = Progress(plan.total, sys.stderr)
        n = write_rows(search_rows(engine, req, query_terms, with_body=with_body), fmt, out or sys.stdout,
                       bom=not no_bom, progress=progress)
        progress.done()
    except (QueryError, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from None
    unit = "articles" if expand else "stories"
    click.echo(f"exported {n} rows ({unit}; search total {plan.total}; order: {plan.order})"
               + (f" to {out}" if out else ""), err=True)


@main.command(name="analyst-db")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
def analyst_db_cmd(out: Path) -> None:
    """Write the corpus to a new SQLite file OUT for analysts: every article, tag, story,
    listing, source and run with the documented views and full-text search, and no users,
    password hashes, sessions, webhooks or console settings.

    \b
    daihuo analyst-db corpus.db && datasette corpus.db
    """
    from daihuo.analysis.analyst_db import AnalystCopyError, write_analyst_db

    try:
        copy = write_analyst_db(cli_engine(), out)
    except AnalystCopyError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote {copy.path}: {copy.rows.get('articles', 0)} articles, "
               f"{copy.rows.get('listings', 0)} listings (no accounts, sessions or webhooks)")


# -- trends / serve --------------------------------------------------------------------------
@main.command(name="trends")
@click.option("--kind", type=click.Choice(["platform", "topic", "entity", "keyword"]), default="platform",
              show_default=True)
@click.option("--interval", type=click.Choice(["day", "week"]), default="week", show_default=True)
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--until", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--value", "values", multiple=True, help="Only these platforms/topics (repeatable).")
@click.option("--json", "as_json", is_flag=True)
def trends_cmd(kind: str, interval: str, since, until, values: tuple[str, ...], as_json: bool) -> None:  # noqa: ANN001
    """Articles mentioning each platform (or topic) per day or week, in China time."""
    from storage.queries import trends

    engine = cli_engine()
    rows = trends(engine, kind=kind, interval=interval,
                  since=since.replace(tzinfo=DISPLAY_TZ) if since else None,
                  until=until.replace(tzinfo=DISPLAY_TZ) if until else None, values=list(values) or None)
    if as_json:
        for r in rows:
            echo_json(r)
        return
    if not rows:
        click.echo("(no dated articles)")
    for r in rows:
        click.echo(f"{r['period']}  {_pad(r['value'], 12)} {r['articles']:>6}")


@main.command(name="publish")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write the static site into (any static host can serve it).")
@click.option("--base-url", envvar="DAIHUO_SITE_URL", required=True,
              help="The site's public URL, e.g. https://example.org/news (or DAIHUO_SITE_URL).")
@click.option("--full", is_flag=True, help="Rewrite every file, not only the changed ones.")
def publish_cmd(out: Path, base_url: str, full: bool) -> None:
    """Export the public site (pages, feeds, sitemap) as static files, incrementally.

    Only approved articles whose publish time has come appear; taken-down articles are
    removed from every page, feed and the sitemap.
    """
    from daihuo.web.site.publish import publish

    engine = cli_engine()
    click.echo(publish(engine, out, base_url=base_url, full=full).summary())


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind. Anything but loopback exposes the API to the network.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--no-scheduler", is_flag=True, help="Don't run the crawl scheduler in this process.")
def serve(host: str, port: int, no_scheduler: bool) -> None:
    """Serve the public site (/) and the JSON API (/api/, docs at /api/docs).

    The OpenAPI schema is at /openapi.json. Site settings: DAIHUO_SITE_URL, DAIHUO_SITE_TITLE,
    DAIHUO_FEED_CONTENT (full or summary).
    """
    import uvicorn

    from daihuo.web.app import create_app

    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"warning: binding {host}: the site, console and API are reachable from the network; "
                   "put them behind HTTPS", err=True)
    sched = None
    if not no_scheduler:  # only one scheduler is active at a time (a lease in the store)
        from daihuo.runs.cron import start_in_thread

        sched = start_in_thread(cli_system())
    try:
        uvicorn.run(create_app(system=cli_system()), host=host, port=port, log_level="info",
                    timeout_graceful_shutdown=3)
    finally:
        if sched is not None:
            sched.stop()


# -- users -----------------------------------------------------------------------------------
@main.group()
def user() -> None:
    """Console and API users. There are no default users: create the first admin here."""


@user.command(name="add")
@click.argument("name")
@click.option("--role", type=click.Choice(["admin", "editor", "analyst"]), required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (scripts).")
def user_add(name: str, role: str, password_stdin: bool) -> None:
    """Create a user (the password is asked for, never given on the command line)."""
    from daihuo.web.accounts import UserError, create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    engine = cli_engine()
    try:
        create_user(engine, name, password, role)
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"created {role} {name!r}")


@user.command(name="list")
def user_list() -> None:
    """List users and their roles."""
    from daihuo.web.accounts import list_users

    engine = cli_engine()
    for u in list_users(engine):
        click.echo(f"{u.name:<20} {u.role:<8} {'disabled' if u.disabled else ''}")


@user.command(name="set")
@click.argument("name")
@click.option("--role", type=click.Choice(["admin", "editor", "analyst"]))
@click.option("--disable/--enable", default=None, help="Disabling also ends the user's sessions.")
def user_set(name: str, role: str | None, disable: bool | None) -> None:
    """Change a user's role, or disable/enable them."""
    from daihuo.web.accounts import UserError, set_disabled, set_role

    engine = cli_engine()
    try:
        if role:
            set_role(engine, name, role)
        if disable is not None:
            set_disabled(engine, name, disable)
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"updated {name!r}")


# -- sources ---------------------------------------------------------------------------------
@main.group()
def sources() -> None:
    """Sources live in the store; TOML files are for import and export."""


@sources.command(name="check")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--registry", type=click.Path(dir_okay=False, path_type=Path), default=None, hidden=True)
def sources_check(file: Path | None, registry: Path | None) -> None:
    """Validate a TOML source FILE (default: crawlers/sources.toml) before importing it."""
    from crawlers.registry import DEFAULT_REGISTRY, RegistryError, load_registry

    registry = file or registry
    try:
        items = load_registry(registry or DEFAULT_REGISTRY)
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    for s in items:
        state = "enabled" if s.enabled else "disabled"
        click.echo(f"{s.name:<24} {s.kind:<9} {state:<9} delay {s.delay:g}s ×{s.concurrency}  "
                   f"{(s.start_urls or [(s.list_api or {}).get('url', '')])[0]}")
    click.echo(f"{len(items)} sources OK")


@main.command()
def info() -> None:
    """Show where the store is, what it holds, and what waits or failed.

    Also writes what an outage left on disk (spooled batches, run outcomes) and marks runs
    whose process died, as every crawl does first.
    """
    from sqlalchemy import func, select

    from daihuo.runs.crawling import catch_up
    from storage.models import Quarantine

    system = cli_system()
    click.echo(f"store: {redact(system.config.database_url)}")
    engine = cli_engine()
    catch_up(system)
    for key, value in system.store().counts().items():
        click.echo(f"  {key:<10} {value}")
    with engine.connect() as conn:
        quarantined = conn.scalar(select(func.count()).select_from(Quarantine))
    click.echo(f"  {'quarantined':<10} {quarantined}" + ("  (records the store refused: "
               "`daihuo runs show ID` names them)" if quarantined else ""))
    waiting = system.spool().pending()
    if waiting:
        click.echo(f"  spooled    {waiting} batch(es) waiting for the store in {system.config.spool_dir}")
    from storage.private_files import permission_warnings

    for warning in permission_warnings(system.config.home, system.config.database_url):
        click.echo(f"warning: {warning}", err=True)


@main.group(name="db")
def db_group() -> None:
    """The store's schema: `daihuo db upgrade` after installing a newer daihuo."""


@db_group.command(name="upgrade")
def db_upgrade() -> None:
    """Bring the store's schema to this version (one process at a time; back up first)."""
    from storage.db import current_revision, head_revision, make_engine, migrate

    system = cli_system()
    engine = make_engine(system.config.database_url)
    try:
        before = current_revision(engine)
        migrate(engine)
        click.echo(f"schema: {before or '(new store)'} → {head_revision()}"
                   if before != head_revision() else f"schema is current ({before})")
    finally:
        engine.dispose()


@main.command()
@click.option("--step", default=None, type=click.IntRange(min=1),
              help="Index pages merged per step (default 2000); smaller steps hold the write lock for less time.")
def maintain(step: int | None) -> None:
    """Compact the search index.

    Run it after a bulk load or a long crawl: on SQLite the full-text index's segments are
    merged into one (queries then look each word up once), in short steps so crawls can keep
    writing; on PostgreSQL it runs VACUUM ANALYZE. New near-duplicate keys waiting in
    lsh_recent are moved into lsh_keys first. Safe to run at any time.
    """
    from storage.maintenance import MERGE_STEP_PAGES, compact

    engine = cli_engine()
    shown = [0]

    def progress(steps: int) -> None:
        if steps - shown[0] >= 25:  # one line per 25 steps (~50k pages)
            shown[0] = steps
            click.echo(f"  merged {steps} steps …", err=True)

    report = compact(engine, step_pages=step or MERGE_STEP_PAGES, progress=progress)
    if engine.dialect.name == "sqlite":
        click.echo(f"search index: {report.segments_before} segments → {report.segments_after} "
                   f"({report.steps} steps)")
    else:
        click.echo("VACUUM ANALYZE done (articles, tags)")
    click.echo(f"near-duplicate keys: {report.lsh_keys_moved:,} moved from lsh_recent into lsh_keys")
    from storage import search as search_mod
    from storage.search_index import forget_changes

    if search_mod.attached_index(engine) is None:  # nobody here reads the log: keep it small
        click.echo(f"search change log: {forget_changes(engine):,} entries cleared (no search index)")


@main.group(name="search-index")
def search_index_group() -> None:
    """The derived tantivy search index beside an SQLite store (kept in step automatically)."""


@search_index_group.command(name="rebuild")
def search_index_rebuild() -> None:
    """Index every stored article afresh (after a lost or damaged index, or for a large store
    that has none yet); searches keep working meanwhile (SQL until it is ready)."""
    index = cli_system().search_index()
    if index is None:
        raise click.ClickException("this store has no search index (PostgreSQL, in-memory SQLite, "
                                   "or DAIHUO_SEARCH_INDEX=off): searches use SQL")
    t0 = time.perf_counter()
    shown = [0.0]

    def progress(done: int, total: int) -> None:
        if time.perf_counter() - shown[0] >= 2 or done == total:
            shown[0] = time.perf_counter()
            rate = done / max(time.perf_counter() - t0, 1e-9)
            click.echo(f"  indexed {done:,} of {total:,} articles ({rate:,.0f}/s)", err=True)

    n = index.rebuild(progress)
    click.echo(f"search index rebuilt: {n:,} articles in {time.perf_counter() - t0:.1f} s ({index.path})")


from daihuo.cli.editorial_commands import register as _register_console  # noqa: E402

_register_console(main)

from daihuo.cli.schedule_commands import register as _register_scheduling  # noqa: E402

_register_scheduling(main)

from daihuo.cli.discovery_commands import register as _register_discover  # noqa: E402

_register_discover(main)  # `daihuo sources discover URL`

if __name__ == "__main__":  # pragma: no cover
    main()
