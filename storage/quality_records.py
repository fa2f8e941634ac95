"""The SQL of quality checks: what a run stored, the reports of earlier runs, and the report
written on a run's meta row.

The metrics, the baseline, the checks and what counts as failed stay in daihuo.runs.quality.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Engine, Row, func, insert, select, update

from storage.models import Article, CrawlRun, RawPage
from storage.schedule_models import RunMeta


def run_articles(engine: Engine, run_id: int) -> Sequence[Row]:
    """(body length, title, published_at, authors) of each article stored by the run."""
    with engine.connect() as conn:
        return conn.execute(select(func.length(Article.body), Article.title, Article.published_at,
                                   Article.authors)
                            .join(RawPage, RawPage.id == Article.raw_page_id)
                            .where(RawPage.run_id == run_id)).all()


def earlier_reports(engine: Engine, run_id: int, statuses: Iterable[str], limit: int = 200) -> Sequence[Row]:
    """(sources, quality_report) of the runs before ``run_id`` with one of ``statuses``,
    newest first."""
    with engine.connect() as conn:
        return conn.execute(select(CrawlRun.sources, RunMeta.quality_report)
                            .join(RunMeta, RunMeta.run_id == CrawlRun.id)
                            .where(CrawlRun.id < run_id, CrawlRun.status.in_(list(statuses)))
                            .order_by(CrawlRun.id.desc()).limit(limit)).all()


def run_outcome(engine: Engine, run_id: int) -> Row | None:
    """(sources, status, stats) of a run; None when there is no such run."""
    with engine.connect() as conn:
        return conn.execute(select(CrawlRun.sources, CrawlRun.status, CrawlRun.stats)
                            .where(CrawlRun.id == run_id)).first()


def run_status_and_error(engine: Engine, run_id: int) -> Row | None:
    """(sources, status, error) of a run (error None without a meta row)."""
    with engine.connect() as conn:
        return conn.execute(select(CrawlRun.sources, CrawlRun.status, RunMeta.error)
                            .outerjoin(RunMeta, RunMeta.run_id == CrawlRun.id)
                            .where(CrawlRun.id == run_id)).first()


def save_quality(engine: Engine, run_id: int, source: str | None, values: dict[str, Any]) -> None:
    """Write ``values`` (quality, quality_report) on the run's meta row, creating the row
    (with ``source``) for a run that has none."""
    with engine.begin() as conn:
        if not conn.execute(update(RunMeta).where(RunMeta.run_id == run_id).values(**values)).rowcount:
            conn.execute(insert(RunMeta).values(run_id=run_id, source=source, live_stats={}, **values))
