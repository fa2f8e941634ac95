"""Console pages for runs (editors): history with stats, one run's live view (polled by a
small script, no inline JS under the console's CSP), its log, cancel, re-run and resume."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response

from daihuo.runs import lifecycle as runs
from daihuo.web import auth
from daihuo.web.app_state import engine_of as _engine
from daihuo.web.bounds import IdPath
from daihuo.web.console import messages_zh
from daihuo.web.console.pages import ConsoleRoute, redirect, render
from storage.queries import run_failures

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)
editor = Depends(auth.require("editor"))
LIVE_JS = Path(__file__).resolve().parent / "static" / "runs_live.js"
STATUSES = runs.STATUSES
STATUS_NAMES = {"running": "运行中", "finished": "完成", "finished_with_errors": "完成（有失败页面）",
                "failed": "失败", "cancelled": "已取消"}


@router.get("/runs/live.js")
def live_js() -> Response:
    """The live view's script (public, like the console's other static files)."""
    return Response(LIVE_JS.read_bytes(), media_type="text/javascript; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"})


@router.get("/runs")
def runs_page(request: Request, source: str | None = None, status: str | None = None,
              page: int = Query(1, ge=1, le=10_000), user=editor) -> Response:  # noqa: ANN001
    per = 50
    page = max(page, 1)
    from daihuo.web.console.pages import filter_problem

    err = filter_problem(_engine(request), source=source)  # a typo: say so, not an empty list
    if status and status not in STATUSES:
        err = f"状态只能是 {'、'.join(f'{s}({STATUS_NAMES[s]})' for s in STATUSES)}"
    items = [] if err else runs.list_runs(_engine(request), source=source or None, status=status or None,
                                          limit=per + 1, offset=(page - 1) * per)
    return render(request, "runs.html", status_code=400 if err else 200, err=err, runs=items[:per], more=len(items) > per, page=page,
                  source=source or "", status=status or "", statuses=STATUSES, names=STATUS_NAMES,
                  live=any(r["status"] == "running" for r in items))


@router.get("/runs/{run_id}")
def run_page(request: Request, run_id: IdPath, user=editor) -> Response:  # noqa: ANN001
    engine = _engine(request)
    run = runs.get_run(engine, run_id)
    if run is None:
        raise HTTPException(status_code=404, detail=f"no run #{run_id}")
    return render(request, "runs_detail.html", run=run, s=run["summary"], names=STATUS_NAMES,
                  stat_names=messages_zh.NAMES["stat"],
                  log=runs.read_log(engine, run_id, tail=16 * 1024),
                  failures=run_failures(engine, run_id))


@router.post("/runs/{run_id}/{action}")
def run_action(request: Request, run_id: IdPath, action: str, user=editor) -> Response:  # noqa: ANN001
    engine = _engine(request)
    try:
        if action == "cancel":
            result = runs.cancel_run(engine, run_id, wait=False)
            return redirect(f"/console/runs/{run_id}", ok="已请求取消" if result != "not running" else "",
                            err="运行已结束" if result == "not running" else "")
        if action == "rerun":
            new = runs.rerun(engine, run_id)
        elif action == "resume":
            new = runs.resume_run(engine, run_id)
        else:
            return redirect(f"/console/runs/{run_id}", err=f"未知操作 {action!r}")
    except runs.RunError as exc:
        return redirect(f"/console/runs/{run_id}", err=str(exc))
    return redirect(f"/console/runs/{new}", ok=f"已开始运行 #{new}")
