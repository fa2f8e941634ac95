"""The composition root of the web app: one engine, one place that builds every part."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI

from storage.config import database_url
from storage.db import make_engine, migrate


def create_app(db_url: str | None = None) -> FastAPI:
    """The web app over the store at ``db_url`` (default: the configured store)."""
    from daihuo.web.api_routes import router
    from daihuo.web.auth import router as auth_router
    from daihuo.web.console import router as console_router
    from daihuo.web.scheduling import router as scheduling_router
    from daihuo.web.site import router as site_router

    engine = make_engine(db_url or database_url())
    migrate(engine)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):  # noqa: ANN202
        yield
        engine.dispose()

    app = FastAPI(title="daihuo", version="0.1.0", lifespan=lifespan,
                  description="Search and query the tagged live-commerce corpus.",
                  docs_url="/api/docs", redoc_url=None, openapi_url="/openapi.json")
    app.state.engine = engine
    app.include_router(auth_router)
    app.include_router(router)
    app.include_router(console_router)  # /console/ pages and their /api/ routes
    app.include_router(scheduling_router)  # schedules, runs, webhooks: pages and /api/
    app.include_router(site_router)  # the public site: pages, feeds, sitemap (after /api/)

    return app
