"""Unknown query parameters are errors (422), not silently ignored: ``?limit=2`` on a route
that pages with ``per_page`` would otherwise return the default page and look like an answer."""

from __future__ import annotations

from fastapi import Request
from fastapi.exceptions import RequestValidationError

_known: dict[int, frozenset[str]] = {}


def _names(route) -> frozenset[str]:  # noqa: ANN001
    key = id(route)
    if key not in _known:
        names: set[str] = set()
        stack = [route.dependant]
        while stack:  # the route's parameters and those of its dependencies
            dep = stack.pop()
            names.update(p.alias for p in dep.query_params)
            stack.extend(dep.dependencies)
        _known[key] = frozenset(names)
    return _known[key]


async def reject_unknown_query_params(request: Request) -> None:
    """A router dependency: 422 naming each query parameter the route does not take."""
    route = request.scope.get("route")
    if route is None or not hasattr(route, "dependant"):
        return
    known = _names(route)
    unknown = sorted({k for k in request.query_params if k not in known})
    if unknown:
        expected = ", ".join(sorted(known)) or "none"
        raise RequestValidationError([
            {"type": "extra_forbidden", "loc": ("query", name), "input": request.query_params.get(name),
             "msg": f"unknown query parameter {name!r}; this endpoint takes: {expected}"}
            for name in unknown])
