"""Sources in the store: list, add, edit, enable/disable, import from the registry file.

The registry file (crawlers/sources.toml) seeds the store; after that the store is what the
console, the API and the scheduler read. Fields are validated by the registry's own
``parse_source``; on top of that, a source added or edited by a person may not point at a
private, loopback or link-local address (the crawler would become a way into the internal
network) unless an admin has allowed that network (setting ``allowed_networks``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import Connection, Engine, case, func, insert, select, update

from editorial import network_policy as netpolicy
from editorial.network_policy import AddressRefused, IPAddress, IPNetwork, Resolver, is_internal
from editorial.source_config import (
    RegistryError,
    SourceConfig,
    load_registry,
    parse_source,
)
from storage.console_models import TIERS, AuditEvent, ConsoleSetting, SourceMeta
from storage.models import Article, Source
from storage.timestamps import from_db, now_utc

ALLOWED_NETWORKS = "allowed_networks"


class SourceError(ValueError):
    """A source that cannot be saved or found; the message says which field and why."""


@dataclass
class SourceView:
    id: int
    name: str
    kind: str
    enabled: bool
    tier: str
    note: str | None
    config: dict
    created_at: datetime | None
    updated_at: datetime | None
    articles: int = 0
    new_articles: int = 0

    @property
    def start_url(self) -> str:
        return (self.config.get("start_urls") or [""])[0]

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "kind": self.kind, "enabled": self.enabled,
                "tier": self.tier, "note": self.note, "config": self.config,
                "created_at": self.created_at, "updated_at": self.updated_at,
                "articles": self.articles, "new_articles": self.new_articles}


@dataclass
class ImportResult:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


# -- addresses (the policy itself is editorial/network_policy.py) -------------------------------------
def system_resolver(host: str) -> list[str]:
    try:
        return netpolicy.system_resolver(host)
    except AddressRefused as exc:
        raise SourceError(str(exc)) from None


def host_addresses(host: str, resolver: Resolver | None = None) -> list[IPAddress]:
    try:
        return netpolicy.host_addresses(host, resolver)
    except AddressRefused as exc:
        raise SourceError(str(exc)) from None


def check_url(url: str, allowed: Iterable[IPNetwork] = (), resolver: Resolver | None = None) -> None:
    """Raise SourceError unless ``url`` is http(s) and every address of its host is public
    or inside an allowed network."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SourceError(f"not an http(s) URL: {url!r}")
    try:
        netpolicy.checked_address(parts.hostname, allowed, resolver)
    except AddressRefused as exc:
        raise SourceError(str(exc)) from None


def check_allowed_domains(domains: Iterable[str], allowed: Iterable[IPNetwork] = ()) -> None:
    """Host names only (no bare suffix such as "1"); an IP literal only inside an allowed
    network (the crawler's guard refuses it anyway: this says so when the source is saved)."""
    allowed = list(allowed)
    for value in domains:
        problem = netpolicy.domain_problem(value)
        if problem:
            raise SourceError(f"field 'allowed_domains': {problem}")
        addr = netpolicy.ip_literal(value)
        if addr is not None and is_internal(addr) and not netpolicy.in_networks(addr, allowed):
            raise SourceError(f"field 'allowed_domains': {value} is a private/loopback/link-local "
                              "address; an admin can allow its network in the console settings")


def parse_networks(values: Iterable[str]) -> list[IPNetwork]:
    try:
        return netpolicy.parse_networks(values)
    except ValueError as exc:
        raise SourceError(str(exc)) from None


# -- settings and audit ----------------------------------------------------------------------
def get_setting(engine: Engine, key: str, default: object = None) -> object:
    with engine.connect() as conn:
        row = conn.execute(select(ConsoleSetting.value).where(ConsoleSetting.key == key)).first()
    return default if row is None or row.value is None else row.value


def set_setting(engine: Engine, key: str, value: object, actor: str) -> None:
    now = now_utc()
    with engine.begin() as conn:
        if conn.execute(update(ConsoleSetting).where(ConsoleSetting.key == key)
                        .values(value=value, updated_by=actor, updated_at=now)).rowcount == 0:
            conn.execute(insert(ConsoleSetting).values(key=key, value=value, updated_by=actor,
                                                       updated_at=now))
        audit(conn, actor, "setting_set", key, {"value": value})


def allowed_networks(engine: Engine) -> list[IPNetwork]:
    return parse_networks(get_setting(engine, ALLOWED_NETWORKS, []) or [])


def set_allowed_networks(engine: Engine, values: Iterable[str], actor: str) -> list[IPNetwork]:
    """Admin only: the private networks sources may point at (e.g. 127.0.0.0/8 for a demo)."""
    nets = parse_networks(values)
    set_setting(engine, ALLOWED_NETWORKS, [str(n) for n in nets], actor)
    return nets


def audit(conn: Connection, actor: str, action: str, target: str, detail: dict | None = None) -> None:
    conn.execute(insert(AuditEvent).values(at=now_utc(), actor=actor, action=action,
                                           target=target[:200], detail=detail or {}))


def recent_audit(engine: Engine, limit: int = 20) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)).all()
    return [{"at": from_db(r.at), "actor": r.actor, "action": r.action, "target": r.target,
             "detail": r.detail} for r in rows]


# -- reading ---------------------------------------------------------------------------------
def _views(conn: Connection, where=None) -> list[SourceView]:  # noqa: ANN001
    counts = (select(Article.source_id, func.count().label("n"),
                     func.sum(case((Article.status == "new", 1), else_=0)).label("new"))
              .group_by(Article.source_id).subquery())
    stmt = (select(Source.id, Source.name, Source.kind, Source.enabled, Source.config, Source.created_at,
                   Source.updated_at, SourceMeta.tier, SourceMeta.note, counts.c.n, counts.c.new)
            .outerjoin(SourceMeta, SourceMeta.source_id == Source.id)
            .outerjoin(counts, counts.c.source_id == Source.id).order_by(Source.name))
    if where is not None:
        stmt = stmt.where(where)
    out = []
    for r in conn.execute(stmt).all():
        out.append(SourceView(r.id, r.name, r.kind, bool(r.enabled), r.tier or "B", r.note,
                              dict(r.config or {}), from_db(r.created_at), from_db(r.updated_at),
                              int(r.n or 0), int(r.new or 0)))
    return out


def list_sources(engine: Engine) -> list[SourceView]:
    with engine.connect() as conn:
        return _views(conn)


def get_source(engine: Engine, name: str) -> SourceView:
    with engine.connect() as conn:
        found = _views(conn, Source.name == name)
    if not found:
        raise SourceError(f"no source {name!r}")
    return found[0]


def source_config(engine: Engine, name: str) -> SourceConfig:
    """The crawl settings of a stored source (what a scheduled crawl runs), enabled as stored."""
    view = get_source(engine, name)
    cfg = {k: v for k, v in view.config.items() if v is not None}
    cfg.update(name=view.name, kind=view.kind, enabled=view.enabled)
    try:
        return parse_source(cfg, where="stored source")
    except RegistryError as exc:
        raise SourceError(str(exc)) from None


# -- writing ---------------------------------------------------------------------------------
def validate(data: dict, *, allowed: Iterable[IPNetwork] = (), resolver: Resolver | None = None,
             check_hosts: bool = True, check_domains: bool = True) -> SourceConfig:
    """A SourceConfig from registry-shaped ``data`` (None values dropped), or SourceError."""
    clean = {k: v for k, v in data.items() if v is not None}
    try:
        cfg = parse_source(clean, where="source")
    except RegistryError as exc:
        raise SourceError(str(exc)) from None
    allowed = list(allowed)
    if check_domains and "allowed_domains" in clean:  # the default is the start URLs' hosts
        check_allowed_domains(cfg.allowed_domains, allowed)
    if check_hosts:
        api = [cfg.list_api["url"].replace("{page}", "1")] if cfg.list_api else []
        for url in cfg.start_urls + api:
            check_url(url, allowed, resolver)
    return cfg


def _set_meta(conn: Connection, source_id: int, tier: str | None, note: str | None, actor: str) -> None:
    if tier is None and note is None:
        return
    if tier is not None and tier not in TIERS:
        raise SourceError(f"field 'tier': one of {', '.join(TIERS)}, not {tier!r}")
    values = {"updated_by": actor, "updated_at": now_utc()}
    if tier is not None:
        values["tier"] = tier
    if note is not None:
        values["note"] = note.strip() or None
    if conn.execute(update(SourceMeta).where(SourceMeta.source_id == source_id).values(**values)).rowcount == 0:
        conn.execute(insert(SourceMeta).values(source_id=source_id, **{"tier": "B", **values}))


def add_source(engine: Engine, data: dict, actor: str, *, tier: str = "B", note: str | None = None,
               resolver: Resolver | None = None, check_hosts: bool = True) -> SourceView:
    """Validate and store a new source (registry fields in ``data``)."""
    cfg = validate(data, allowed=allowed_networks(engine), resolver=resolver, check_hosts=check_hosts)
    if tier not in TIERS:
        raise SourceError(f"field 'tier': one of {', '.join(TIERS)}, not {tier!r}")
    now = now_utc()
    with engine.begin() as conn:
        if conn.execute(select(Source.id).where(Source.name == cfg.name)).first():
            raise SourceError(f"field 'name': a source {cfg.name!r} exists already")
        sid = conn.execute(insert(Source).values(name=cfg.name, kind=cfg.kind, config=cfg.to_dict(),
                                                 enabled=cfg.enabled, created_at=now, updated_at=now)
                           ).inserted_primary_key[0]
        _set_meta(conn, sid, tier, note, actor)
        audit(conn, actor, "source_add", cfg.name, {"start_urls": cfg.start_urls})
    return get_source(engine, cfg.name)


def update_source(engine: Engine, name: str, changes: dict, actor: str, *, tier: str | None = None,
                  note: str | None = None, resolver: Resolver | None = None,
                  check_hosts: bool = True) -> SourceView:
    """Change registry fields (merged over the stored ones; a None value resets a field to
    its default) and/or the tier and note. The name cannot change (runs refer to it)."""
    current = get_source(engine, name)
    if "name" in changes and changes["name"] != name:
        raise SourceError("field 'name': a source cannot be renamed; add a new one")
    merged = {**current.config, **changes, "name": name}
    merged.setdefault("kind", current.kind)
    if "allowed_domains" not in changes and "start_urls" in changes:
        merged.pop("allowed_domains", None)  # recomputed from the new start URLs
    domains_changed = "allowed_domains" in changes and changes["allowed_domains"] is not None
    cfg = validate(merged, check_hosts=False, check_domains=domains_changed,
                   allowed=allowed_networks(engine) if domains_changed else ())
    if check_hosts:  # only URLs that are new: an edit of the tier must not need DNS
        allowed = allowed_networks(engine)
        old_api = (current.config.get("list_api") or {}).get("url")
        api = [cfg.list_api["url"].replace("{page}", "1")] if cfg.list_api and cfg.list_api["url"] != old_api else []
        for url in cfg.start_urls + api:
            if url not in (current.config.get("start_urls") or []):
                check_url(url, allowed, resolver)
    with engine.begin() as conn:
        conn.execute(update(Source).where(Source.id == current.id).values(
            kind=cfg.kind, config=cfg.to_dict(), enabled=cfg.enabled, updated_at=now_utc()))
        _set_meta(conn, current.id, tier, note, actor)
        changed = sorted(k for k in changes if current.config.get(k) != cfg.to_dict().get(k))
        audit(conn, actor, "source_edit", name, {"fields": changed, "tier": tier})
    return get_source(engine, name)


def set_enabled(engine: Engine, name: str, enabled: bool, actor: str) -> SourceView:
    current = get_source(engine, name)
    with engine.begin() as conn:
        conn.execute(update(Source).where(Source.id == current.id).values(
            enabled=enabled, config={**current.config, "enabled": enabled}, updated_at=now_utc()))
        audit(conn, actor, "source_enable" if enabled else "source_disable", name)
    return get_source(engine, name)


def import_registry(engine: Engine, path: Path | str, actor: str = "import", *,
                    variables: dict[str, str] | None = None) -> ImportResult:
    """Sync the registry file into the store (idempotent). New sources are added as the file
    says; known ones get the file's crawl settings, but keep their enabled state, tier and
    note (those are the editors' decisions in the console). The file is as trusted as the
    person running the import, so no address check here."""
    try:
        configs = load_registry(path, variables=variables)
    except RegistryError as exc:
        raise SourceError(str(exc)) from None
    result = ImportResult()
    now = now_utc()
    with engine.begin() as conn:
        for cfg in configs:
            row = conn.execute(select(Source.id, Source.kind, Source.config, Source.enabled)
                               .where(Source.name == cfg.name)).first()
            if row is None:
                sid = conn.execute(insert(Source).values(
                    name=cfg.name, kind=cfg.kind, config=cfg.to_dict(), enabled=cfg.enabled,
                    created_at=now, updated_at=now)).inserted_primary_key[0]
                conn.execute(insert(SourceMeta).values(source_id=sid, tier="B", updated_by=actor,
                                                       updated_at=now))
                result.added.append(cfg.name)
                continue
            wanted = {**cfg.to_dict(), "enabled": bool(row.enabled)}
            if row.kind == cfg.kind and dict(row.config or {}) == wanted:
                result.unchanged.append(cfg.name)
                continue
            conn.execute(update(Source).where(Source.id == row.id).values(
                kind=cfg.kind, config=wanted, updated_at=now))
            result.updated.append(cfg.name)
        if result.added or result.updated:
            audit(conn, actor, "source_import", str(path)[-200:],
                  {"added": result.added, "updated": result.updated})
    return result


__all__ = ["ALLOWED_NETWORKS", "ImportResult", "SourceError", "SourceView", "add_source",
           "allowed_networks", "check_allowed_domains", "check_url", "get_setting", "get_source", "host_addresses",
           "import_registry", "is_internal", "list_sources", "parse_networks", "recent_audit",
           "set_allowed_networks", "set_enabled", "set_setting", "source_config", "update_source",
           "validate"]
