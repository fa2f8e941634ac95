"""The web app: every route reaches the process's System (daihuo.system) through app.state."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI

from daihuo.system import System


def create_app(db_url: str | None = None, *, system: System | None = None) -> FastAPI:
    """The web app over ``system`` (default: one built from the environment, or over the
    store at ``db_url``)."""
    from daihuo.web.api_routes import router
    from daihuo.web.auth import router as auth_router
    from daihuo.web.console import router as console_router
    from daihuo.web.scheduling import router as scheduling_router
    from daihuo.web.site import router as site_router

    owned = system is None
    system = system or System.from_env(database_url=db_url)
    engine = system.engine

    @asynccontextmanager
    async def lifespan(_app: FastAPI):  # noqa: ANN202
        yield
        if owned:
            system.close()

    app = FastAPI(title="daihuo", version="0.1.0", lifespan=lifespan,
                  description="Search and query the tagged live-commerce corpus.",
                  docs_url="/api/docs", redoc_url=None, openapi_url="/openapi.json")
    app.state.system = system
    app.state.engine = engine
    app.include_router(auth_router)
    app.include_router(router)
    app.include_router(console_router)  # /console/ pages and their /api/ routes
    app.include_router(scheduling_router)  # schedules, runs, webhooks: pages and /api/
    app.include_router(site_router)  # the public site: pages, feeds, sitemap (after /api/)
    from daihuo.web.console.pages import install_not_found_page

    install_not_found_page(app)  # /console/<unknown>: a Chinese page, not JSON

    return app
