"""The editors' console: pages under /console/ and their JSON API under /api/ (sources,
queue, rules, users, settings). ``router`` holds both; app.py includes it."""

from fastapi import APIRouter

from daihuo.web.console.console_api import router as api_router
from daihuo.web.console.discover import router as discover_router
from daihuo.web.console.pages import router as pages_router

router = APIRouter()
router.include_router(pages_router)
router.include_router(api_router)
router.include_router(discover_router)  # /console/sources-discover

__all__ = ["router"]
