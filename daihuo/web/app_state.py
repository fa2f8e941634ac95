"""What a request reaches of the app: the process's System and its one engine."""

from __future__ import annotations

from fastapi import Request
from sqlalchemy import Engine


def engine_of(request: Request) -> Engine:
    return request.app.state.engine


def system_of_app(request: Request):  # noqa: ANN201
    return request.app.state.system
