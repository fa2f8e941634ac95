"""The editors' console: pages under /console/ and their JSON API under /api/ (sources,
queue, rules, users, settings). ``router`` holds both; app.py includes it."""

from fastapi import APIRouter

from daihuo.web.console.analyst import router as analyst_router
from daihuo.web.console.console_api import router as api_router
from daihuo.web.console.discover import router as discover_router
from daihuo.web.console.newsroom import router as newsroom_router
from daihuo.web.console.pages import router as pages_router
from daihuo.web.console.webhook_pages import router as webhook_pages_router
from daihuo.web.console.workers_page import router as workers_router

router = APIRouter()
router.include_router(pages_router)
router.include_router(analyst_router)  # search, export, trends, listing statistics
router.include_router(api_router)
router.include_router(newsroom_router)  # run now, a source's run history, log download
router.include_router(webhook_pages_router)  # /console/webhooks (admin)
router.include_router(workers_router)  # /console/workers: distributed workers, queues, dead letters
router.include_router(discover_router)  # /console/sources-discover

__all__ = ["router"]
