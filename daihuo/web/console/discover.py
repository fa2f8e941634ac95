"""Console: "从网址发现来源" — propose a source from a homepage URL (crawlers.discovery), show
what was found and the previewed articles, and save the (edited) proposal as a disabled
source. The fetches follow the console's address rules (editorial.sources.check_url)."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request, Response

from daihuo.web.accounts import UserInfo
from daihuo.web.console.pages import (
    ConsoleRoute,
    _engine,
    editor,
    redirect,
    render,
    source_form_data,
)
from editorial import sources as src_store

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)
DELAY = 1.0  # seconds between the discovery's requests (the site's Crawl-delay wins if longer)
PREVIEW = 3


@router.get("/sources-discover")
def discover_form(request: Request, user: UserInfo = editor) -> Response:
    return render(request, "source_discover.html", url="", found=None, form=None, error=None)


@router.post("/sources-discover")
def discover_run(request: Request, url: str = Form(""), user: UserInfo = editor) -> Response:
    from crawlers.discovery import discover
    from daihuo.web.console.discovery_fetch import default_name, guarded_fetcher, process_page

    url = url.strip()
    engine = _engine(request)
    allowed = src_store.allowed_networks(engine)
    try:
        src_store.check_url(url, allowed)
    except src_store.SourceError as exc:
        return render(request, "source_discover.html", status_code=400, url=url, found=None,
                      form=None, error=str(exc))
    found = discover(url, guarded_fetcher(allowed), delay=DELAY, preview=PREVIEW, process=process_page)
    src = found.source(default_name(url), delay=2.0)
    form = {**{k: "\n".join(v) if isinstance(v, list) else v for k, v in src.items()},
            "note": f"从 {url} 发现"}
    return render(request, "source_discover.html", url=url, found=found, form=form, error=None)


@router.post("/sources-discover/save")
async def discover_save(request: Request, user: UserInfo = editor) -> Response:
    form = dict(await request.form())
    try:
        data = source_form_data(form)
        if form.get("render") in ("auto", "always"):
            data["render"] = form["render"]
        created = src_store.add_source(_engine(request), {**data, "enabled": False}, user.name,
                                       note=form.get("note"))
    except src_store.SourceError as exc:
        return render(request, "source_discover.html", status_code=400, url="", found=None,
                      form=form, error=str(exc))
    return redirect(f"/console/sources/{created.name}", ok=f"已保存来源 {created.name}(未启用,请检查后启用)")
