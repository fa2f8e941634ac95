"""JSON API of schedules, runs and webhooks: reads for analysts, writes for editors (webhooks:
admins only, as their URL is somewhere daihuo will POST to)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from daihuo.runs import cron as scheduler
from daihuo.runs import lifecycle as runs
from daihuo.runs import webhooks
from daihuo.web.app_state import engine_of as _engine
from daihuo.web.auth import require
from storage.schedule_models import DEFAULT_TZ

router = APIRouter(prefix="/api", tags=["scheduling"])
analyst = Depends(require("analyst"))
editor = Depends(require("editor"))
admin = Depends(require("admin"))


class ScheduleIn(BaseModel):
    source: str = Field(description="a stored source's name")
    cron: str = Field(description="five cron fields (minute hour day month weekday) or @daily etc.",
                      examples=["*/30 8-22 * * *"])
    timezone: str = DEFAULT_TZ
    enabled: bool = True


class SchedulePatch(BaseModel):
    cron: str | None = None
    timezone: str | None = None
    enabled: bool | None = None


class RunIn(BaseModel):
    source: str


class WebhookIn(BaseModel):
    name: str
    url: str
    kind: str = Field("json", description="json | wecom | dingtalk | feishu")
    secret: str | None = Field(None, description="DingTalk/Feishu signing secret (加签)")


def _schedule_or_404(request: Request, schedule_id: int) -> scheduler.ScheduleInfo:
    found = scheduler.get_schedule(_engine(request), schedule_id)
    if found is None:
        raise HTTPException(status_code=404, detail=f"no schedule #{schedule_id}")
    return found


def _launch(call):  # noqa: ANN001, ANN202
    try:
        return call()
    except runs.RunConflict as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from None
    except runs.RunError as exc:
        raise HTTPException(status_code=404 if str(exc).startswith("no ") else 400, detail=str(exc)) from None


# -- schedules -------------------------------------------------------------------------------
@router.get("/schedules", summary="Schedules (cron per source)", dependencies=[analyst])
def list_schedules(request: Request, source: str | None = None) -> list[dict]:
    return [s.as_dict() for s in scheduler.list_schedules(_engine(request), source)]


@router.get("/schedules/preview", summary="The next fires of a cron expression", dependencies=[analyst])
def preview(cron: str, timezone: str = DEFAULT_TZ, n: int = Query(5, ge=1, le=50)) -> dict:
    try:
        return {"cron": scheduler.validate_cron(cron), "timezone": timezone,
                "next": scheduler.upcoming(cron, timezone, n=n)}
    except scheduler.ScheduleError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None


@router.get("/schedules/{schedule_id}", summary="One schedule", dependencies=[analyst])
def get_schedule(request: Request, schedule_id: int) -> dict:
    return _schedule_or_404(request, schedule_id).as_dict()


@router.post("/schedules", status_code=201, summary="Add a schedule")
def add_schedule(request: Request, body: ScheduleIn, user=editor) -> dict:  # noqa: ANN001
    try:
        return scheduler.add_schedule(_engine(request), body.source, body.cron, body.timezone,
                                      enabled=body.enabled, created_by=user.name).as_dict()
    except scheduler.ScheduleError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None


@router.patch("/schedules/{schedule_id}", summary="Change, pause or resume a schedule")
def patch_schedule(request: Request, schedule_id: int, body: SchedulePatch, user=editor) -> dict:  # noqa: ANN001
    _schedule_or_404(request, schedule_id)
    try:
        return scheduler.update_schedule(_engine(request), schedule_id, cron=body.cron,
                                         timezone=body.timezone, enabled=body.enabled,
                                         actor=user.name).as_dict()
    except scheduler.ScheduleError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None


@router.delete("/schedules/{schedule_id}", status_code=204, summary="Remove a schedule")
def delete_schedule(request: Request, schedule_id: int, user=editor) -> Response:  # noqa: ANN001
    if not scheduler.remove_schedule(_engine(request), schedule_id, actor=user.name):
        raise HTTPException(status_code=404, detail=f"no schedule #{schedule_id}")
    return Response(status_code=204)


@router.post("/schedules/{schedule_id}/run", status_code=201, summary="Run a schedule's source now",
             dependencies=[editor])
def run_schedule_now(request: Request, schedule_id: int) -> dict:
    s = _schedule_or_404(request, schedule_id)
    engine = _engine(request)
    run_id = _launch(lambda: runs.launch_run(engine, s.source, "manual", schedule_id=s.id))
    return runs.get_run(engine, run_id)


# -- runs ------------------------------------------------------------------------------------
@router.get("/runs", summary="Run history, newest first, with stats summaries", dependencies=[analyst])
def list_runs(request: Request, source: str | None = None, status: str | None = None,
              limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0)) -> list[dict]:
    return runs.list_runs(_engine(request), source=source, status=status, limit=limit, offset=offset)


@router.get("/runs/{run_id}", summary="One run: status, stats (live while running), quality report",
            dependencies=[analyst])
def get_run(request: Request, run_id: int) -> dict:
    found = runs.get_run(_engine(request), run_id)
    if found is None:
        raise HTTPException(status_code=404, detail=f"no run #{run_id}")
    found.pop("proc_start", None)
    return found


@router.get("/runs/{run_id}/log", response_class=PlainTextResponse, summary="The tail of a run's log",
            dependencies=[analyst])
def run_log(request: Request, run_id: int, tail: int = Query(65536, ge=1, le=4 * 1024 * 1024)) -> str:
    return _launch(lambda: runs.read_log(_engine(request), run_id, tail=tail))


@router.post("/runs", status_code=201, summary="Start a run of a source now", dependencies=[editor])
def start_run(request: Request, body: RunIn) -> dict:
    engine = _engine(request)
    return runs.get_run(engine, _launch(lambda: runs.launch_run(engine, body.source, "manual")))


@router.post("/runs/{run_id}/cancel", summary="Cancel a running run (SIGTERM, then SIGKILL)",
             dependencies=[editor])
def cancel(request: Request, run_id: int) -> dict:
    result = _launch(lambda: runs.cancel_run(_engine(request), run_id, wait=False))
    return {"run_id": run_id, "result": result}


@router.post("/runs/{run_id}/rerun", status_code=201, summary="Crawl a run's source again",
             dependencies=[editor])
def rerun(request: Request, run_id: int) -> dict:
    engine = _engine(request)
    return runs.get_run(engine, _launch(lambda: runs.rerun(engine, run_id)))


@router.post("/runs/{run_id}/resume", status_code=201,
             summary="Resume a failed or cancelled run (skips what it stored)", dependencies=[editor])
def resume(request: Request, run_id: int) -> dict:
    engine = _engine(request)
    return runs.get_run(engine, _launch(lambda: runs.resume_run(engine, run_id)))


# -- webhooks --------------------------------------------------------------------------------
@router.get("/webhooks", summary="Webhooks told about failed runs and checks", dependencies=[admin])
def list_webhooks(request: Request) -> list[dict]:
    return [w.as_dict() for w in webhooks.list_webhooks(_engine(request))]


@router.post("/webhooks", status_code=201, summary="Add a webhook")
def add_webhook(request: Request, body: WebhookIn, user=admin) -> dict:  # noqa: ANN001
    try:
        return webhooks.add_webhook(_engine(request), body.name, body.url, body.kind, body.secret,
                                    actor=user.name).as_dict()
    except webhooks.WebhookError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None


class WebhookPatch(BaseModel):
    name: str | None = None
    url: str | None = None
    kind: str | None = None
    secret: str | None = Field(None, description="a new signing secret (the old one is never shown)")
    enabled: bool | None = None


@router.patch("/webhooks/{webhook_id}", summary="Change, enable or disable a webhook")
def patch_webhook(request: Request, webhook_id: int, body: WebhookPatch, user=admin) -> dict:  # noqa: ANN001
    _hook_or_404(request, webhook_id)
    try:
        return webhooks.update_webhook(_engine(request), webhook_id, name=body.name, url=body.url,
                                       kind=body.kind, secret=body.secret, enabled=body.enabled,
                                       actor=user.name).as_dict()
    except webhooks.WebhookError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None


def _hook_or_404(request: Request, webhook_id: int) -> webhooks.WebhookInfo:
    try:
        return webhooks.find_webhook(_engine(request), webhook_id)
    except webhooks.WebhookError:
        raise HTTPException(status_code=404, detail=f"no webhook #{webhook_id}") from None


@router.delete("/webhooks/{webhook_id}", status_code=204, summary="Remove a webhook")
def delete_webhook(request: Request, webhook_id: int, user=admin) -> Response:  # noqa: ANN001
    if not webhooks.remove_webhook(_engine(request), webhook_id, actor=user.name):
        raise HTTPException(status_code=404, detail=f"no webhook #{webhook_id}")
    return Response(status_code=204)


@router.post("/webhooks/{webhook_id}/test", summary="Send a test message", dependencies=[admin])
def test_webhook(request: Request, webhook_id: int) -> dict:
    _hook_or_404(request, webhook_id)
    return {"result": webhooks.send_test(_engine(request), webhook_id)}


@router.get("/webhooks/{webhook_id}/deliveries", summary="A webhook's delivery history, newest first",
            dependencies=[admin])
def webhook_deliveries(request: Request, webhook_id: int,
                       limit: int = Query(50, ge=1, le=1000)) -> list[dict]:
    _hook_or_404(request, webhook_id)
    return webhooks.deliveries(_engine(request), webhook_id, limit)
