"""Schedules, runs and webhooks in the web app: the console pages (/console/schedules,
/console/runs) and the JSON API (/api/schedules, /api/runs, /api/webhooks). app.py includes
``router``."""

from fastapi import APIRouter

from daihuo.web.console.runs import router as runs_pages
from daihuo.web.console.schedules import router as schedule_pages
from daihuo.web.scheduling_api import router as api_router

router = APIRouter()
router.include_router(api_router)
router.include_router(schedule_pages)
router.include_router(runs_pages)

__all__ = ["router"]
