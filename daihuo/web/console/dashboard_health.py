"""What the dashboard shows about the newsroom's health: article counts as the public sees
them, runs that failed or finished with errors, failed quality checks, sources overdue for
their schedule; and a source's run history as a chart (server-side SVG, no script)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine, and_, func, select

from daihuo.runs import lifecycle as runs
from editorial.published import PUBLIC_STATUSES, is_public
from storage.models import Article, Source
from storage.schedule_models import Schedule
from storage.timestamps import from_db, now_utc

WINDOW = timedelta(hours=24)
#: a schedule whose fire is this late was not fired (the scheduler is down or stuck)
OVERDUE_AFTER = timedelta(minutes=5)


@dataclass
class Health:
    counts: dict[str, int]
    problem_runs: list[dict] = field(default_factory=list)  # failed / errors, last 24 h
    failed_checks: list[dict] = field(default_factory=list)  # runs whose quality checks failed
    overdue: list[dict] = field(default_factory=list)  # schedules past their fire time
    quarantined: list[dict] = field(default_factory=list)  # per run: records the store refused
    quarantined_total: int = 0
    spooled_batches: int = 0  # batches waiting on disk for the store (this machine)


def article_counts(engine: Engine, now: datetime | None = None) -> dict[str, int]:
    """Articles by what an editor means: waiting, live on the site (approved *is* public once
    its go-live time has passed), scheduled to go live, rejected, taken down."""
    now = now or now_utc()
    with engine.connect() as conn:
        by_status = dict(conn.execute(select(Article.status, func.count()).group_by(Article.status)).all())
        live = conn.execute(select(func.count()).select_from(Article).where(is_public(now))).scalar() or 0
    approved = sum(by_status.get(s, 0) for s in PUBLIC_STATUSES)
    return {"new": by_status.get("new", 0), "live": live, "scheduled": approved - live,
            "rejected": by_status.get("rejected", 0), "unpublished": by_status.get("unpublished", 0)}


def run_problems(engine: Engine, now: datetime | None = None, limit: int = 500) -> tuple[list, list]:
    """(runs failed or finished with errors, runs that failed their quality checks) started
    in the last 24 hours, newest first."""
    now = now or now_utc()
    recent = [r for r in runs.list_runs(engine, limit=limit)
              if r["started_at"] and r["started_at"] >= now - WINDOW]
    problems = [r for r in recent if r["status"] in ("failed", "finished_with_errors")
                or (r["status"] == "finished" and r["summary"]["errors"] > 0)]
    checks = []
    for r in recent:
        if r["quality"] == "failed":
            full = runs.get_run(engine, r["id"]) or {}
            failed = [c for c in (full.get("quality_report") or {}).get("checks", []) if not c.get("ok")]
            checks.append({**r, "checks": failed})
    return problems, checks


def overdue_schedules(engine: Engine, now: datetime | None = None) -> list[dict]:
    """Enabled schedules of enabled sources whose fire time passed without being fired."""
    now = now or now_utc()
    with engine.connect() as conn:
        rows = conn.execute(select(Schedule.id, Schedule.cron, Schedule.next_run_at, Schedule.last_run_id,
                                   Schedule.last_skip, Source.name)
                            .join(Source, Source.id == Schedule.source_id)
                            .where(and_(Schedule.enabled.is_(True), Source.enabled.is_(True)))
                            .order_by(Schedule.next_run_at)).all()
    out = []
    for r in rows:
        due = from_db(r.next_run_at)
        if due is not None and now - due > OVERDUE_AFTER:
            out.append({"schedule_id": r.id, "source": r.name, "cron": r.cron, "due": due,
                        "late_minutes": int((now - due).total_seconds() // 60),
                        "last_run_id": r.last_run_id})
    return out


def quarantine_by_run(engine: Engine, limit: int = 20) -> tuple[list[dict], int]:
    """Quarantined records grouped by run, newest runs first, and their total."""
    from storage.models import Quarantine

    with engine.connect() as conn:
        rows = conn.execute(select(Quarantine.run_id, Quarantine.source, func.count().label("n"),
                                   func.max(Quarantine.created_at).label("last"))
                            .group_by(Quarantine.run_id, Quarantine.source)
                            .order_by(func.max(Quarantine.id).desc()).limit(limit)).mappings().all()
        total = conn.execute(select(func.count()).select_from(Quarantine)).scalar() or 0
    return [dict(r, last=from_db(r["last"])) for r in rows], total


def health(engine: Engine, now: datetime | None = None, spooled_batches: int = 0) -> Health:
    now = now or now_utc()
    problems, checks = run_problems(engine, now)
    quarantined, total = quarantine_by_run(engine)
    return Health(article_counts(engine, now), problems, checks, overdue_schedules(engine, now),
                  quarantined, total, spooled_batches)


# -- a source's run history ------------------------------------------------------------------
def history_points(engine: Engine, source: str, limit: int = 30) -> list[dict]:
    """The source's last ``limit`` runs, oldest first: pages fetched, stored, error rate."""
    points = []
    for r in reversed(runs.list_runs(engine, source=source, limit=limit)):
        s = r["summary"]
        fetched = s["responses"] or 0
        attempts = max(s["requests"] or 0, fetched, 1)
        points.append({"id": r["id"], "status": r["status"], "started_at": r["started_at"],
                       "fetched": fetched, "stored": (s["stored"] or 0) + (s["updated"] or 0),
                       "errors": s["errors"] or 0, "error_rate": min(1.0, (s["errors"] or 0) / attempts)})
    return points


def history_svg(points: list[dict], width: int = 720, height: int = 220) -> str:
    """Bars of pages fetched and articles stored per run, and a line of the error rate (right
    axis, 0-100%). Plain SVG markup with a title and description, built from numbers only."""
    left, right, top, bottom = 44, 44, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([p["fetched"] for p in points] + [p["stored"] for p in points] + [1])
    n = max(len(points), 1)
    slot = plot_w / n
    bar = min(24.0, max(2.0, slot * 0.35))  # a lone run is not a wall of colour
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="history-chart" role="img" '
             f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
             f'aria-labelledby="chart-title chart-desc">',
             '<title id="chart-title">每次运行的抓取页数、入库数和错误率</title>',
             f'<desc id="chart-desc">最近 {len(points)} 次运行;柱:抓取页数(深)和入库(浅),'
             '折线:错误率(右侧刻度)。同样的数字见旁边的表格。</desc>',
             f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#888"/>',
             f'<text x="{left - 4}" y="{top + 10}" text-anchor="end" font-size="11">{peak}</text>',
             f'<text x="{left - 4}" y="{top + plot_h}" text-anchor="end" font-size="11">0</text>',
             f'<text x="{left + plot_w + 4}" y="{top + 10}" font-size="11">100%</text>',
             f'<text x="{left + plot_w + 4}" y="{top + plot_h}" font-size="11">0%</text>']
    line = []
    for i, p in enumerate(points):
        x = left + i * slot + slot / 2
        for offset, value, colour, cls in ((-bar, p["fetched"], "#2b5f9e", "fetched"),
                                           (0.0, p["stored"], "#8fb3de", "stored")):
            h = plot_h * value / peak
            parts.append(f'<rect class="{cls}" x="{x + offset:.1f}" y="{top + plot_h - h:.1f}" '
                         f'width="{bar:.1f}" height="{h:.1f}" fill="{colour}"/>')
        line.append(f"{x:.1f},{top + plot_h * (1 - p['error_rate']):.1f}")
        parts.append(f'<text x="{x:.1f}" y="{height - 10}" text-anchor="middle" font-size="10">'
                     f'#{int(p["id"])}</text>')
    if line:
        parts.append(f'<polyline class="error-rate" points="{" ".join(line)}" fill="none" '
                     f'stroke="#c0392b" stroke-width="2"/>')
        for pt in line:
            x, y = pt.split(",")
            parts.append(f'<circle cx="{x}" cy="{y}" r="3" fill="#c0392b"/>')
    parts.append("</svg>")
    return "\n".join(parts)
