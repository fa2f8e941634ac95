"""The console's JSON API: sources, the curation queue, auto-publish rules, users, settings.

Reads need the analyst role, writes the editor role (with the session's CSRF token in
``X-CSRF-Token``), users and settings the admin role. Everything the console pages do is
here too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field

from crawlers.registry import DEFAULT_REGISTRY
from daihuo.web import accounts as users
from daihuo.web.accounts import UserInfo
from daihuo.web.app_state import engine_of as _engine
from daihuo.web.auth import require
from daihuo.web.bounds import MAX_ID, IdPath
from daihuo.web.console.extraction import test_extraction
from daihuo.web.console.pages import apply_decision
from editorial import curation, rules
from editorial import sources as src_store
from editorial.review_queue import QueueFilter, new_article_ids, queue, queue_article, story_members

router = APIRouter(prefix="/api", tags=["console"])
analyst = Depends(require("analyst"))
editor = Depends(require("editor"))
admin = Depends(require("admin"))


def _bad(exc: Exception, status: int = 400) -> HTTPException:
    return HTTPException(status_code=status, detail=str(exc))


# -- sources ---------------------------------------------------------------------------------
class _SourceOptions(BaseModel):
    """The registry fields a source may leave at their defaults (see crawlers/registry.py)."""

    allowed_domains: list[str] | None = None
    follow: list[str] | None = None
    articles: list[str] | None = None
    delay: float | None = None
    concurrency: int | None = None
    autothrottle: bool | None = None
    charset: str | None = None
    region: str | None = None
    selector: str | None = None
    enabled: bool | None = None
    removed_after: int | None = None


class SourceIn(_SourceOptions):
    """Registry fields (see crawlers/registry.py) plus the console's tier and note."""

    name: str
    kind: Literal["news", "listings"] = "news"
    start_urls: list[str]
    tier: Literal["A", "B", "C"] = "B"
    note: str | None = None


class SourcePatch(_SourceOptions):
    """Fields to change; omitted ones stay, null resets a registry field to its default."""

    model_config = {"extra": "forbid"}
    kind: Literal["news", "listings"] | None = None
    start_urls: list[str] | None = None
    tier: Literal["A", "B", "C"] | None = None
    note: str | None = None


class TestIn(BaseModel):
    url: str | None = Field(None, description="the page to test (default: the source's first start URL)")


@router.get("/sources", summary="Sources in the store, with tier and article counts")
def api_sources(request: Request, user: UserInfo = analyst) -> list[dict]:
    return [s.to_dict() for s in src_store.list_sources(_engine(request))]


@router.get("/sources/{name}", summary="One source")
def api_source(request: Request, name: str, user: UserInfo = analyst) -> dict:
    try:
        return src_store.get_source(_engine(request), name).to_dict()
    except src_store.SourceError as exc:
        raise _bad(exc, 404) from None


@router.post("/sources", status_code=201, summary="Add a source (validated; private addresses refused)")
def api_source_add(request: Request, body: SourceIn, user: UserInfo = editor) -> dict:
    data = body.model_dump(exclude={"tier", "note"}, exclude_none=True)
    try:
        return src_store.add_source(_engine(request), data, user.name, tier=body.tier,
                                    note=body.note).to_dict()
    except src_store.SourceError as exc:
        raise _bad(exc) from None


@router.patch("/sources/{name}", summary="Change a source's fields, tier or note")
def api_source_edit(request: Request, name: str, body: SourcePatch, user: UserInfo = editor) -> dict:
    changes = body.model_dump(exclude={"tier", "note"}, exclude_unset=True)
    try:
        return src_store.update_source(_engine(request), name, changes, user.name, tier=body.tier,
                                       note=body.note).to_dict()
    except src_store.SourceError as exc:
        raise _bad(exc, 404 if str(exc).startswith("no source") else 400) from None


@router.post("/sources/{name}/enable", summary="Enable a source")
def api_source_enable(request: Request, name: str, user: UserInfo = editor) -> dict:
    return _toggle(request, name, True, user)


@router.post("/sources/{name}/disable", summary="Disable a source")
def api_source_disable(request: Request, name: str, user: UserInfo = editor) -> dict:
    return _toggle(request, name, False, user)


def _toggle(request: Request, name: str, on: bool, user: UserInfo) -> dict:
    try:
        return src_store.set_enabled(_engine(request), name, on, user.name).to_dict()
    except src_store.SourceError as exc:
        raise _bad(exc, 404) from None


@router.post("/sources-import", summary="Sync the registry file into the store (idempotent)")
def api_sources_import(request: Request, user: UserInfo = editor) -> dict:
    try:
        res = src_store.import_registry(_engine(request), DEFAULT_REGISTRY, actor=user.name)
    except src_store.SourceError as exc:
        raise _bad(exc) from None
    return res.__dict__


@router.post("/sources/{name}/test", summary="Fetch one page of a source and run the pipeline on it")
def api_source_test(request: Request, name: str, body: TestIn, user: UserInfo = editor) -> dict:
    engine = _engine(request)
    try:
        view = src_store.get_source(engine, name)
    except src_store.SourceError as exc:
        raise _bad(exc, 404) from None
    return test_extraction(body.url or view.start_url, src_store.allowed_networks(engine),
                           source=view.name, config=view.config)


# -- queue -----------------------------------------------------------------------------------
Action = Literal["approve", "reject", "feature", "unfeature", "unpublish"]


class DecisionIn(BaseModel):
    reason: str | None = None
    publish_at: datetime | None = Field(None, description="approve: go live at this time (embargo)")


class BulkIn(DecisionIn):
    ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(..., min_length=1, max_length=5000)
    action: Action
    whole_story: bool = Field(False, description="apply to the stories' other new articles too")


class EditIn(BaseModel):
    title: str | None = Field(None, description="the editors' title; empty string clears it")
    summary: str | None = None


@router.get("/queue", summary="The curation queue: one row per story, with provenance")
def api_queue(request: Request, status: str | None = "new", source: str | None = None,
              tier: str | None = None, platform: str | None = None, topic: str | None = None,
              flag: str | None = None, q: str | None = None, page: int = Query(1, ge=1, le=10000),
              per_page: int = Query(50, ge=1, le=500), user: UserInfo = analyst) -> dict:
    f = QueueFilter(status=status or None, source=source, tier=tier, platform=platform, topic=topic,
                    flag=flag, q=q, page=page, per_page=per_page)
    try:
        result = queue(_engine(request), f)
    except ValueError as exc:
        raise _bad(exc) from None
    return {"total": result.total, "page": result.page, "pages": result.pages,
            "per_page": result.per_page, "items": result.items}


@router.get("/queue/{article_id}", summary="One article with provenance, blocks and its decisions")
def api_queue_article(request: Request, article_id: IdPath, user: UserInfo = analyst) -> dict:
    item = queue_article(_engine(request), article_id)
    if item is None:
        raise HTTPException(status_code=404, detail="no such article")
    return item


@router.post("/queue/{article_id}/{action}", summary="approve | reject | feature | unfeature | unpublish")
def api_decide(request: Request, article_id: IdPath, action: Action, body: DecisionIn | None = None,
               user: UserInfo = editor) -> dict:
    body = body or DecisionIn()
    try:
        apply_decision(_engine(request), [article_id], action, user.name, body.reason, body.publish_at)
    except curation.CurationError as exc:
        raise _bad(exc, 404 if str(exc).startswith("no article") else 400) from None
    return queue_article(_engine(request), article_id) or {}


@router.patch("/queue/{article_id}", summary="Edit the title and/or summary shown on the site")
def api_edit(request: Request, article_id: IdPath, body: EditIn, user: UserInfo = editor) -> dict:
    fields = body.model_dump(exclude_unset=True)
    try:
        curation.edit(_engine(request), article_id, user.name, **fields)
    except curation.CurationError as exc:
        raise _bad(exc, 404 if str(exc).startswith("no article") else 400) from None
    return queue_article(_engine(request), article_id) or {}


@router.post("/queue-bulk", summary="One decision on many articles")
def api_bulk(request: Request, body: BulkIn, user: UserInfo = editor) -> dict:
    ids = story_members(_engine(request), body.ids) if body.whole_story else body.ids
    try:
        n = apply_decision(_engine(request), ids, body.action, user.name, body.reason, body.publish_at)
    except curation.CurationError as exc:
        raise _bad(exc) from None
    return {"changed": n, "ids": ids}


# -- rules -----------------------------------------------------------------------------------
class RuleIn(BaseModel):
    name: str
    condition: str = Field(..., description="e.g. 'tier A and platform and no flag spam'")
    action: Literal["approve", "reject", "feature"]
    position: int | None = Field(None, ge=-MAX_ID, le=MAX_ID)
    enabled: bool = True


class RulePatch(BaseModel):
    condition: str | None = None
    action: Literal["approve", "reject", "feature"] | None = None
    position: int | None = Field(None, ge=-MAX_ID, le=MAX_ID)
    enabled: bool | None = None


@router.get("/rules", summary="Auto-publish rules, in the order they are tried")
def api_rules(request: Request, user: UserInfo = analyst) -> list[dict]:
    return [r.to_dict() for r in rules.list_rules(_engine(request))]


@router.post("/rules", status_code=201, summary="Add an auto-publish rule")
def api_rule_add(request: Request, body: RuleIn, user: UserInfo = editor) -> dict:
    try:
        return rules.add_rule(_engine(request), body.name, body.condition, body.action, user.name,
                              position=body.position, enabled=body.enabled).to_dict()
    except rules.RuleError as exc:
        raise _bad(exc) from None


@router.patch("/rules/{name}", summary="Change a rule")
def api_rule_edit(request: Request, name: str, body: RulePatch, user: UserInfo = editor) -> dict:
    try:
        return rules.update_rule(_engine(request), name, user.name, **body.model_dump(exclude_unset=True)).to_dict()
    except rules.RuleError as exc:
        raise _bad(exc, 404 if str(exc).startswith("no rule") else 400) from None


@router.delete("/rules/{name}", summary="Remove a rule")
def api_rule_remove(request: Request, name: str, user: UserInfo = editor) -> dict:
    try:
        rules.remove_rule(_engine(request), name, user.name)
    except rules.RuleError as exc:
        raise _bad(exc, 404) from None
    return {"removed": name}


@router.post("/rules-run", summary="Run the rules over the queue's new articles (apply=false: preview)")
def api_rules_run(request: Request, apply: bool = False, user: UserInfo = editor) -> list[dict]:
    engine = _engine(request)
    return [d.__dict__ for d in rules.evaluate_new_articles(engine, new_article_ids(engine), apply=apply)]


# -- users and settings (admin) --------------------------------------------------------------
class UserIn(BaseModel):
    name: str
    role: Literal["analyst", "editor", "admin"]
    password: str


class UserPatch(BaseModel):
    role: Literal["analyst", "editor", "admin"] | None = None
    disabled: bool | None = None


class SettingsIn(BaseModel):
    allowed_networks: list[str] = Field(..., description="private networks sources may use, e.g. 127.0.0.0/8")


def _audit(request: Request, user: UserInfo, action: str, target: str, detail: dict) -> None:
    with _engine(request).begin() as conn:
        src_store.audit(conn, user.name, action, target, detail)


@router.get("/users", summary="Users and roles")
def api_users(request: Request, user: UserInfo = admin) -> list[dict]:
    return [u.__dict__ for u in users.list_users(_engine(request))]


@router.post("/users", status_code=201, summary="Create a user")
def api_user_add(request: Request, body: UserIn, user: UserInfo = admin) -> dict:
    try:
        created = users.create_user(_engine(request), body.name, body.password, body.role)
    except users.UserError as exc:
        raise _bad(exc) from None
    _audit(request, user, "user_add", created.name, {"role": created.role})
    return created.__dict__


@router.patch("/users/{name}", summary="Change a user's role or disable them")
def api_user_edit(request: Request, name: str, body: UserPatch, user: UserInfo = admin) -> dict:
    engine = _engine(request)
    if name == user.name and (body.disabled or (body.role and body.role != "admin")):
        raise HTTPException(status_code=400, detail="you cannot demote or disable yourself")
    try:
        if body.role:
            users.set_role(engine, name, body.role)
        if body.disabled is not None:
            users.set_disabled(engine, name, body.disabled)
    except users.UserError as exc:
        raise _bad(exc, 404) from None
    _audit(request, user, "user_edit", name, body.model_dump(exclude_none=True))
    return next(u.__dict__ for u in users.list_users(engine) if u.name == name)


@router.get("/settings", summary="Console settings")
def api_settings(request: Request, user: UserInfo = admin) -> dict:
    return {"allowed_networks": [str(n) for n in src_store.allowed_networks(_engine(request))]}


@router.put("/settings", summary="Change console settings")
def api_settings_put(request: Request, body: SettingsIn, user: UserInfo = admin) -> dict:
    try:
        nets = src_store.set_allowed_networks(_engine(request), body.allowed_networks, user.name)
    except src_store.SourceError as exc:
        raise _bad(exc) from None
    return {"allowed_networks": [str(n) for n in nets]}
