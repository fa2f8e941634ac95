"""The editors' console: pages under /console/ and their JSON API under /api/ (sources,
queue, rules, users, settings). ``router`` holds both; app.py includes it."""

from fastapi import APIRouter

from daihuo.web.console.analyst import router as analyst_router
from daihuo.web.console.console_api import router as api_router
from daihuo.web.console.pages import router as pages_router

router = APIRouter()
router.include_router(pages_router)
router.include_router(analyst_router)  # search, export, trends, listing statistics
router.include_router(api_router)

__all__ = ["router"]
