"""Quality checks of a finished run, against the source's recent runs.

A site that changes its layout rarely breaks a crawl outright: it keeps "finishing" while
storing nothing, or bodies shrink to a teaser, or dates stop parsing. Each run's metrics
are kept with its report, and the checks compare them with the median of the same
sources' last runs:

* zero_items — the crawl found no article at all (known ones skipped count as found);
* body_length — the mean extracted body fell below half of the usual;
* field_coverage — title, date or author present on far fewer articles than usual;
* date_parse — most stored articles have no parsed date;
* error_rate — too many HTTP errors, download errors or failed pages.

A failed check marks the run (``run_meta.quality = failed``) and notifies the webhooks; so
does a run that failed outright.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from statistics import median

from sqlalchemy import Engine

from daihuo.runs import webhooks
from daihuo.runs.lifecycle import COMPLETED
from storage import quality_records as records

FIELDS = ("title", "published_at", "authors")


@dataclass(frozen=True)
class Thresholds:
    history: int = 5             # recent runs the baseline is the median of
    min_articles: int = 3        # fewer stored articles: body/coverage/date checks are skipped
    body_drop: float = 0.5       # fail below this share of the usual mean body length
    coverage_drop: float = 0.3   # fail when a field's coverage falls by this much (0..1)
    date_missing: float = 0.5    # fail when more than this share lacks a date ...
    date_rise: float = 0.2       # ... and that is this much more than usual
    error_rate: float = 0.2      # fail above this share of failed requests/pages
    min_requests: int = 5        # fewer requests: the error rate says little


def run_metrics(engine: Engine, run_id: int, stats: dict) -> dict:
    """What the checks compare: counts from the run's stats and its stored articles."""
    s = stats or {}
    found = (s.get("item_scraped_count", 0) + s.get("item_dropped_count", 0)
             + sum(s.get(f"daihuo/incremental/{k}", 0) for k in ("skipped", "not_modified", "unchanged_body", "still_failing")))
    # HTTP errors, download errors (robots.txt refusals are not errors) and pages a later
    # stage failed on (a fetch-stage failure is the HTTP error, counted once)
    errors = (sum(v for k, v in s.items() if k.startswith("downloader/response_status_count/")
                  and k.rsplit("/", 1)[1].isdigit() and int(k.rsplit("/", 1)[1]) >= 400)
              + s.get("downloader/exception_count", 0)
              - s.get("downloader/exception_type_count/scrapy.exceptions.IgnoreRequest", 0)
              + s.get("daihuo/failed", 0) - s.get("daihuo/failed/fetch", 0))
    requests = max(s.get("downloader/request_count", 0), 1)
    rows = records.run_articles(engine, run_id)
    n = len(rows)
    metrics = {"items_found": found, "articles": n, "requests": s.get("downloader/request_count", 0),
               "error_rate": round(errors / requests, 4)}
    if n:
        metrics["body_length"] = round(sum(r[0] or 0 for r in rows) / n, 1)
        metrics["coverage"] = {
            "title": round(sum(bool(r.title) for r in rows) / n, 4),
            "published_at": round(sum(r.published_at is not None for r in rows) / n, 4),
            "authors": round(sum(bool(r.authors) for r in rows) / n, 4),
        }
        metrics["date_missing"] = round(1 - metrics["coverage"]["published_at"], 4)
    return metrics


def baseline(engine: Engine, run_id: int, sources: list, t: Thresholds) -> dict:
    """Medians over the same sources' last runs that stored enough articles."""
    rows = records.earlier_reports(engine, run_id, COMPLETED, limit=200)
    past = [r.quality_report["metrics"] for r in rows
            if sorted(r.sources or []) == sorted(sources) and (r.quality_report or {}).get("metrics")
            and r.quality_report["metrics"].get("articles", 0) >= t.min_articles][: t.history]
    if not past:
        return {}
    out = {"runs": len(past), "body_length": median(m["body_length"] for m in past),
           "date_missing": median(m["date_missing"] for m in past),
           "coverage": {f: median(m["coverage"][f] for m in past) for f in FIELDS}}
    return out


def evaluate(metrics: dict, base: dict, t: Thresholds = Thresholds()) -> list[dict]:
    """The checks: one dict each (name, ok, detail)."""
    checks = []

    def check(name: str, ok: bool, detail: str) -> None:
        checks.append({"name": name, "ok": ok, "detail": detail})

    check("zero_items", metrics["items_found"] > 0,
          f"{metrics['items_found']} articles found" if metrics["items_found"]
          else "the crawl found no articles (a layout change, a block, or wrong start URLs?)")
    enough = metrics["articles"] >= t.min_articles
    if enough and base:
        usual, now = base["body_length"], metrics["body_length"]
        check("body_length", now >= usual * t.body_drop,
              f"mean body {now:.0f} characters, usually {usual:.0f}")
        worse = {f: (metrics["coverage"][f], base["coverage"][f]) for f in FIELDS
                 if metrics["coverage"][f] < base["coverage"][f] - t.coverage_drop}
        check("field_coverage", not worse,
              "; ".join(f"{f} on {now:.0%} of articles, usually {usual:.0%}" for f, (now, usual) in worse.items())
              or "title, date and author coverage as usual")
    if enough:
        missing = metrics["date_missing"]
        usual = base.get("date_missing") if base else None
        bad = missing > t.date_missing and (usual is None or missing - usual > t.date_rise)
        check("date_parse", not bad, f"{missing:.0%} of articles have no date"
              + (f", usually {usual:.0%}" if usual is not None else ""))
    if metrics["requests"] >= t.min_requests:
        check("error_rate", metrics["error_rate"] <= t.error_rate,
              f"{metrics['error_rate']:.0%} of requests or pages failed")
    return checks


def check_run(engine: Engine, run_id: int, t: Thresholds = Thresholds()) -> dict:
    """Check a finished run and record the report on it; returns the report."""
    run = records.run_outcome(engine, run_id)
    if run is None:
        raise ValueError(f"no run #{run_id}")
    metrics = run_metrics(engine, run_id, run.stats or {})
    base = baseline(engine, run_id, run.sources or [], t)
    checks = evaluate(metrics, base, t) if run.status in COMPLETED else []
    report = {"status": "passed" if all(c["ok"] for c in checks) else "failed",
              "metrics": metrics, "baseline": base, "checks": checks}
    if run.status not in COMPLETED:
        report["status"] = "not checked"
    values = {"quality": report["status"] if run.status in COMPLETED else None,
              "quality_report": report}
    records.save_quality(engine, run_id, (run.sources or [None])[0], values)
    return report


def check_and_notify(engine: Engine, run_id: int, t: Thresholds = Thresholds(),
                     base_url: str | None = None) -> dict:
    """Check the run; tell the webhooks when a check failed or the run itself failed."""
    report = check_run(engine, run_id, t)
    base_url = base_url or os.environ.get("DAIHUO_CONSOLE_URL")  # links in the messages
    run = records.run_status_and_error(engine, run_id)
    event = None
    if report["status"] == "failed":
        event = "quality_failed"
    elif run.status == "failed":
        event = "run_failed"
    if event:
        payload = {"event": event, "run_id": run_id, "source": ", ".join(run.sources or []),
                   "status": run.status, "quality": report["status"], "checks": report["checks"],
                   "metrics": report["metrics"], "error": run.error}
        if base_url:
            payload["url"] = f"{base_url.rstrip('/')}/console/runs/{run_id}"
        report["notified"] = webhooks.notify(engine, payload)
    return report
