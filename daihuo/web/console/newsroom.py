"""Console pages that close the newsroom's loop (editors): run a source now, a source's run
history with its chart, and a run's full log as a download. The run is started by the same
entry point as a schedule's 立即运行 (daihuo.runs.launch_run: same lock, same run process)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import FileResponse
from markupsafe import Markup

from daihuo.runs import lifecycle as runs
from daihuo.web import auth
from daihuo.web.app_state import engine_of as _engine
from daihuo.web.console import messages_zh
from daihuo.web.console.dashboard_health import history_points, history_svg
from daihuo.web.console.pages import ConsoleRoute, redirect, render

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)
editor = Depends(auth.require("editor"))


@router.post("/sources/{name}/run")
def source_run_now(request: Request, name: str, user=editor) -> Response:  # noqa: ANN001
    """Start a run of the source now and open its live page."""
    back = request.headers.get("referer", "")
    back = "/console/sources" if "/console/sources/" not in back else f"/console/sources/{name}"
    try:
        run_id = runs.launch_run(_engine(request), name, "manual")
    except runs.RunError as exc:
        return redirect(back, err=messages_zh.error(exc))
    return redirect(f"/console/runs/{run_id}", ok=f"已开始运行 #{run_id}({name})")


@router.get("/sources/{name}/history")
def source_history(request: Request, name: str, user=editor) -> Response:  # noqa: ANN001
    engine = _engine(request)
    if not runs.source_exists(engine, name):
        raise HTTPException(status_code=404, detail=f"no source {name!r}")
    points = history_points(engine, name)
    return render(request, "source_history.html", name=name, points=points,
                  chart=Markup(history_svg(points)) if points else None)  # noqa: S704 - numbers only


@router.get("/runs/{run_id}/log.txt")
def run_log_download(request: Request, run_id: int, user=editor) -> Response:  # noqa: ANN001
    """The run's whole log file, as a download (editors and admins)."""
    run = runs.get_run(_engine(request), run_id)
    if run is None:
        raise HTTPException(status_code=404, detail=f"no run #{run_id}")
    path = Path(run["log_path"]) if run.get("log_path") else runs.log_path_for(run_id)
    if not path.is_file():
        raise HTTPException(status_code=404, detail=f"运行 #{run_id} 在这台机器上没有日志文件")
    return FileResponse(path, media_type="text/plain; charset=utf-8",
                        filename=f"daihuo-run-{run_id}.log")
