"""Console pages for schedules (editors): list, add, edit, pause/resume, run now, remove.

Uses the console's layout and route class (daihuo.web.console.pages): an anonymous
visitor is sent to the login page, an analyst sees the 403 page."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request, Response
from sqlalchemy import select

from daihuo.runs import cron as scheduler
from daihuo.runs import lifecycle as runs
from daihuo.web import auth
from daihuo.web.app_state import engine_of as _engine
from daihuo.web.bounds import IdPath
from daihuo.web.console import messages_zh
from daihuo.web.console.pages import ConsoleRoute, redirect, render
from storage.models import Source
from storage.schedule_models import DEFAULT_TZ

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)
editor = Depends(auth.require("editor"))
EXAMPLES = [("*/30 * * * *", "每 30 分钟"), ("0 8-22/2 * * *", "8 点到 22 点每两小时"),
            ("15 9 * * mon-fri", "工作日 9:15"), ("0 3 1,15 * *", "每月 1 日和 15 日 3:00"),
            ("@daily", "每天 0:00")]


def _page(request: Request, source: str | None = None, *, status_code: int = 200,
          form: dict | None = None, error: str | None = None) -> Response:
    """The schedules page; after an error ``form`` keeps what the editor typed (the add form's
    source, cron and zone, or one row's edited cron and zone: ``edit_id``)."""
    engine = _engine(request)
    with engine.connect() as conn:
        names = list(conn.execute(select(Source.name).order_by(Source.name)).scalars())
    items = scheduler.list_schedules(engine, source or None)
    upcoming = {}
    for s in items:
        try:
            upcoming[s.id] = scheduler.upcoming(s.cron, s.timezone, n=3)
        except scheduler.ScheduleError:
            upcoming[s.id] = []
    return render(request, "schedules.html", status_code=status_code, schedules=items, sources=names,
                  source=source, upcoming=upcoming, examples=EXAMPLES, default_tz=DEFAULT_TZ,
                  form=form or {}, error=error)


@router.get("/schedules")
def schedules_page(request: Request, source: str | None = None, user=editor) -> Response:  # noqa: ANN001
    from daihuo.web.console.pages import filter_problem

    problem = filter_problem(_engine(request), source=source)  # a typo: say so, not an empty list
    return _page(request, source, status_code=400 if problem else 200, error=problem)


@router.post("/schedules")
def schedules_add(request: Request, source: str = Form(""), cron: str = Form(""),
                  timezone: str = Form(DEFAULT_TZ), user=editor) -> Response:  # noqa: ANN001
    try:
        s = scheduler.add_schedule(_engine(request), source, cron, timezone or DEFAULT_TZ,
                                   created_by=user.name)
    except scheduler.ScheduleError as exc:
        return _page(request, status_code=400, error=str(exc),
                     form={"source": source, "cron": cron, "timezone": timezone})
    return redirect("/console/schedules", ok=f"已添加计划 #{s.id}({s.source}:{s.cron})")


@router.post("/schedules/{schedule_id}/edit")
def schedules_edit(request: Request, schedule_id: IdPath, cron: str = Form(""),
                   timezone: str = Form(DEFAULT_TZ), user=editor) -> Response:  # noqa: ANN001
    try:
        scheduler.update_schedule(_engine(request), schedule_id, cron=cron, timezone=timezone or DEFAULT_TZ,
                                  actor=user.name)
    except scheduler.ScheduleError as exc:
        return _page(request, status_code=400, error=f"计划 #{schedule_id}:{messages_zh.error(exc)}",
                     form={"edit_id": schedule_id, "cron": cron, "timezone": timezone})
    return redirect("/console/schedules", ok=f"已修改计划 #{schedule_id}")


@router.post("/schedules/{schedule_id}/{action}")
def schedules_action(request: Request, schedule_id: IdPath, action: str, user=editor) -> Response:  # noqa: ANN001
    engine = _engine(request)
    found = scheduler.get_schedule(engine, schedule_id)
    if found is None:
        return redirect("/console/schedules", err=f"没有计划 #{schedule_id}")
    if action in ("pause", "resume"):
        scheduler.update_schedule(engine, schedule_id, enabled=action == "resume", actor=user.name)
        return redirect("/console/schedules", ok=f"计划 #{schedule_id} 已{'暂停' if action == 'pause' else '恢复'}")
    if action == "delete":
        scheduler.remove_schedule(engine, schedule_id, actor=user.name)
        return redirect("/console/schedules", ok=f"已删除计划 #{schedule_id}")
    if action == "run":
        try:
            run_id = runs.launch_run(engine, found.source, "manual", schedule_id=schedule_id)
        except runs.RunError as exc:
            return redirect("/console/schedules", err=str(exc))
        return redirect(f"/console/runs/{run_id}", ok="已开始运行")
    return redirect("/console/schedules", err=f"未知操作 {action!r}")
