"""Security headers on every answer of the app (site, console, API), and the API docs served
from this server.

Every response gets ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY`` and a
``Referrer-Policy``; a response that sets no ``Content-Security-Policy`` of its own gets the
one for its area: the public site and the console allow only their own scripts, styles and
images; the JSON API allows nothing (a JSON answer is never a page); ``/api/docs`` allows the
Swagger UI files served under ``/api/docs-assets/`` (from the swagger-ui-py package, no
CDN) and its own start script.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DOCS_PATH = "/api/docs"
ASSETS = "/api/docs-assets"
_OWN = Path(__file__).resolve().parent / "docs_static"

CSP_PAGES = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
             "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
CSP_API = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
# Swagger UI sets style attributes from its script: 'unsafe-inline' for styles only
CSP_DOCS = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")

DOCS_HTML = f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>daihuo API 文档</title>
<link rel="stylesheet" href="{ASSETS}/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="{ASSETS}/swagger-ui-bundle.js"></script>
<script src="{ASSETS}/own/docs-init.js"></script>
</body></html>
"""


def _csp_for(path: str) -> str:
    if path == DOCS_PATH or path.startswith(ASSETS):
        return CSP_DOCS
    if path.startswith("/api/") or path == "/openapi.json":
        return CSP_API
    return CSP_PAGES


class SecurityHeaders:
    """ASGI middleware: adds the headers a response did not set itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                for name, value in ((b"x-content-type-options", "nosniff"), (b"x-frame-options", "DENY"),
                                    (b"referrer-policy", "strict-origin-when-cross-origin"),
                                    (b"content-security-policy", _csp_for(path))):
                    if name not in present:
                        headers.append((name, value.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def swagger_ui_files() -> Path:
    """Swagger UI's distribution files as the swagger-ui-py package ships them (found, not
    imported: its __init__ wires up web frameworks we do not use)."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the swagger-ui-py package is missing: pip install -e .")
    return Path(list(spec.submodule_search_locations)[0]) / "static"


def install(app: FastAPI) -> None:
    """The headers middleware and the local API docs (call with docs_url=None)."""
    app.add_middleware(SecurityHeaders)
    app.mount(f"{ASSETS}/own", StaticFiles(directory=_OWN), name="docs-own")
    app.mount(ASSETS, StaticFiles(directory=swagger_ui_files()), name="docs-assets")

    @app.get(DOCS_PATH, include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return HTMLResponse(DOCS_HTML)
