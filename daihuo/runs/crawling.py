"""A crawl in this process: the one run lifecycle every way of starting a crawl goes through.

``daihuo crawl`` (foreground), a launched run (``daihuo.runs.process``: console "run",
schedules, re-runs, resumes) and the demo all call :func:`run_crawl`: the run row is created
with the one-run-per-source lock (or was, by the launcher), the sources come from the store
as editors saved them, the System gives every component the same engine, lexicons and IDF,
and the run ends through :func:`close_run`, which cannot crash the process: when the store
is unreachable at the end, the final status is spooled and written by the next command.
"""

from __future__ import annotations

import difflib
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings
from sqlalchemy import select

from crawlers.registry import SourceConfig
from crawlers.rendering import check_sources
from crawlers.spiders.listings import ListingSpider
from crawlers.spiders.news import NewsSpider, apply_source_settings
from daihuo.runs.lifecycle import RunError, create_run, load_source, record_process
from daihuo.system import System
from storage.models import Source
from storage.timestamps import now_utc

log = logging.getLogger(__name__)


@dataclass
class CrawlSummary:
    run_id: int
    status: str
    stats: dict = field(default_factory=dict)

    def get(self, key: str, default: int = 0):  # noqa: ANN201
        return self.stats.get(key, default)

    def prefixed(self, prefix: str) -> dict[str, float]:
        return {k[len(prefix):]: v for k, v in sorted(self.stats.items()) if k.startswith(prefix)}


def project_settings(**overrides) -> Settings:
    """The project's Scrapy settings plus ``overrides`` (the System comes from the add-on)."""
    settings = Settings()
    settings.setmodule("crawlers.settings", priority="project")
    for key, value in overrides.items():
        settings.set(key, value, priority="cmdline")
    return settings


def source_settings(base: Settings, src: SourceConfig) -> Settings:
    """A copy of ``base`` with the source's politeness (as the spider applies it)."""
    s = base.copy()
    apply_source_settings(s, src)
    return s


def merge_stats(stats_list: list[dict]) -> dict:
    total: dict = {}
    for stats in stats_list:
        for key, value in stats.items():
            prev = total.get(key, 0)
            if isinstance(value, (int, float)) and not isinstance(value, bool) \
                    and isinstance(prev, (int, float)):
                # counters add up; maxima (memory, elapsed time) take the larger
                total[key] = max(prev, value) if key.endswith(("/max", "_seconds")) else prev + value
            elif key not in total:
                total[key] = value
    return total


# -- sources from the store ------------------------------------------------------------------
def stored_sources(system: System, names: list[str] | tuple[str, ...] = (), *,
                   all_enabled: bool = False) -> list[SourceConfig]:
    """Sources as stored (the one source of truth), by name or every enabled one.

    An unknown name is a RunError naming the closest stored names."""
    with system.engine.connect() as conn:
        rows = conn.execute(select(Source.name, Source.enabled).order_by(Source.name)).all()
    known = {r.name: r.enabled for r in rows}
    if all_enabled:
        names = [n for n, enabled in known.items() if enabled]
        if not names:
            raise RunError("no enabled sources in the store: add one with `daihuo sources add` "
                           "or `daihuo sources import FILE`")
    if not names:
        raise RunError("name the sources to crawl, or use --all; stored: "
                       + (", ".join(known) or "(none: `daihuo sources import FILE` adds some)"))
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.5)
            hint = f"did you mean {', '.join(close)}?" if close else \
                "stored: " + (", ".join(known) or "(none)")
            raise RunError(f"unknown source {name!r}; {hint} "
                           "(`daihuo sources list` shows them, `daihuo sources import FILE` adds)")
    return [load_source(system.engine, name) for name in names]


# -- outcome ---------------------------------------------------------------------------------
def run_outcome(stats: dict, finish_reasons: set) -> str:
    """What happened, from the crawl's stats: failed when nothing was fetched or stored (or a
    crawler did not finish), finished_with_errors when some pages failed, else finished."""
    if finish_reasons - {"finished"}:
        return "failed"
    fetched = stats.get("response_received_count", 0)
    kept = sum(stats.get(k, 0) for k in ("daihuo/stored", "daihuo/updated", "daihuo/dropped",
                                          "daihuo/listing_pages", "daihuo/spooled",
                                          "daihuo/incremental/skipped", "daihuo/incremental/not_modified"))
    # download failures reach the pipelines as failed pages: counted in daihuo/failed
    failures = stats.get("daihuo/failed", 0) + stats.get("daihuo/quarantined", 0)
    requested = stats.get("downloader/request_count", 0) + stats.get("daihuo/fetch_failed", 0) \
        + stats.get("daihuo/fetch_refused", 0)
    if requested and not fetched and not kept:
        return "failed"  # nothing could be fetched or stored
    if failures:
        return "finished_with_errors" if (fetched or kept) else "failed"
    return "finished"


# -- finishing, which never raises -----------------------------------------------------------
def _pending_dir(system: System) -> Path:
    return system.config.spool_dir / "runs"


def close_run(system: System, run_id: int, status: str, stats: dict, *,
              error: str | None = None) -> bool:
    """Write the run's final status and stats; if the store refuses, spool them to disk
    (written by :func:`replay_pending_runs` at the next command). Never raises."""
    from daihuo.runs.lifecycle import write_final

    payload = {"version": 1, "run_id": run_id, "status": status, "error": error,
               "finished_at": now_utc().isoformat(), "stats": json.loads(json.dumps(stats, default=str))}
    try:
        write_final(system.engine, payload)
        return True
    except Exception as exc:  # noqa: BLE001 - the store is down: keep the outcome on disk
        folder = _pending_dir(system)
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            tmp = folder / f"run-{run_id}.json.tmp"
            tmp.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
            os.chmod(tmp, 0o600)
            tmp.replace(folder / f"run-{run_id}.json")
            log.error("store unreachable at the end of run #%d (%s); its status (%s) is spooled "
                      "and will be written by the next daihuo command", run_id,
                      type(exc).__name__, status)
        except OSError as disk:
            log.error("run #%d: could neither write its status (%s) nor spool it (%s)",
                      run_id, exc, disk)
        return False


def replay_pending_runs(system: System) -> int:
    """Write spooled run outcomes (store down when their crawl ended); returns how many."""
    from daihuo.runs.lifecycle import write_final

    folder = _pending_dir(system)
    if not folder.is_dir():
        return 0
    done = 0
    for path in sorted(folder.glob("run-*.json")):
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            log.error("unreadable spooled run outcome %s: %s", path, exc)
            continue
        write_final(system.engine, payload)
        path.unlink()
        done += 1
    return done


def catch_up(system: System) -> None:
    """What a command does first: write what an outage left on disk (page batches and run
    outcomes) and mark runs whose process died. Problems are logged, never raised."""
    from daihuo.runs.lifecycle import reap_orphans

    try:
        replay_pending_runs(system)
        system.replay_spool()
        reap_orphans(system.engine)
    except Exception as exc:  # noqa: BLE001 - the store may be down: the crawl spools again
        log.warning("could not replay spooled data yet (%s: %s)", type(exc).__name__, exc)


# -- the crawl -------------------------------------------------------------------------------
def run_crawl(system: System, sources: list[SourceConfig], *, run_id: int | None = None,
              trigger: str = "cli", progress: bool = False, log_level: str = "WARNING",
              **overrides) -> CrawlSummary:
    """Crawl ``sources`` into the store; returns the run's status and merged stats.

    ``run_id`` is a run a launcher already created (daihuo.runs.lifecycle.launch_run), else
    one is created here with the same one-run-per-source lock (RunConflict when a source is
    being crawled). Runs the Twisted reactor, so call it once per process."""
    catch_up(system)
    check_sources(sources)  # a source that renders, on a machine without the browser: say so now
    if run_id is None:
        run_id = create_run(system.engine, [s.name for s in sources], trigger)
    # pid and host, so a crash is seen (reap_orphans) and the source is not blocked forever
    record_process(system.engine, run_id, os.getpid())
    base = system.scrapy_settings(DAIHUO_RUN_ID=run_id, DAIHUO_PROGRESS=progress,
                                  LOG_LEVEL=log_level, **overrides)
    process = CrawlerProcess(base)
    logging.getLogger("scrapy").setLevel(log_level)
    if logging.getLevelName(log_level) >= logging.WARNING:  # not verbose: errors in one line
        _log_errors_in_one_line()
    crawlers = []
    for i, src in enumerate(sources):
        spider = ListingSpider if src.kind == "listings" else NewsSpider
        # The first crawler installs the reactor (as CrawlerProcess would for its own).
        crawler = Crawler(spider, source_settings(base, src), init_reactor=i == 0)
        crawlers.append(crawler)
        process.crawl(crawler, source=src, run_id=run_id)
    error = None
    try:
        process.start()
    except BaseException as exc:  # noqa: BLE001 - recorded as the run's error below
        error = f"{type(exc).__name__}: {exc}"
        if not isinstance(exc, Exception):
            raise
    finally:
        stats = merge_stats([c.stats.get_stats() for c in crawlers if c.stats])
        reasons = {c.stats.get_value("finish_reason") for c in crawlers if c.stats}
        status = "failed" if error else run_outcome(stats, reasons)
        _close_listings(system, sources, crawlers, run_id, stats)
        close_run(system, run_id, status, stats, error=error)
        _check_quality(system, run_id)
    return CrawlSummary(run_id, status, stats)


def _log_errors_in_one_line() -> None:
    """Scrapy replaces its log handler per crawler, so the record factory does it."""
    make = logging.getLogRecordFactory()
    if getattr(make, "daihuo_one_line", False):
        return

    def factory(*args, **kwargs) -> logging.LogRecord:  # noqa: ANN002, ANN003
        record = make(*args, **kwargs)
        _one_line_errors(record)
        return record

    factory.daihuo_one_line = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


def _one_line_errors(record: logging.LogRecord) -> bool:
    """A logged exception as one line (the reason), not a traceback: the run's rows and
    stats say what failed; `-v` shows Scrapy's full log."""
    if record.exc_info and record.exc_info[1] is not None:
        exc = record.exc_info[1]
        record.msg, record.args = f"{record.getMessage()} ({type(exc).__name__}: {exc})", ()
        record.exc_info = record.exc_text = None
    return True


def _close_listings(system: System, sources: list[SourceConfig], crawlers: list[Crawler],
                    run_id: int, stats: dict) -> None:
    """Only a complete crawl may count a listing as missing (a partial one would "remove"
    everything it did not reach)."""
    for src, c in zip(sources, crawlers, strict=True):
        if src.kind == "listings" and c.stats and c.stats.get_value("finish_reason") == "finished":
            try:
                removed = system.store().close_listing_run(src.name, run_id,
                                                           removed_after=src.removed_after)
            except Exception as exc:  # noqa: BLE001 - the next complete crawl counts them
                log.error("listings of %s not closed (%s)", src.name, exc)
                continue
            stats["daihuo/listings/removed"] = stats.get("daihuo/listings/removed", 0) + removed


def _check_quality(system: System, run_id: int) -> None:
    """Quality checks of the finished run (webhooks told on failure); never fails the crawl."""
    from daihuo.runs.quality import check_and_notify

    try:
        check_and_notify(system.engine, run_id)
    except Exception:  # noqa: BLE001 - a broken check or webhook must not lose the run
        log.warning("quality checks of run #%d not run (store unreachable or check failed)", run_id,
                    exc_info=log.isEnabledFor(logging.DEBUG))
