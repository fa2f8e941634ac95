"""CLI of the editors' console: sources in the store, the curation queue, auto-publish rules
and console settings. Registered on the main group by ``register(main)``.

Whoever runs the CLI can open the store, so commands act as ``cli:$USER`` with editor and
admin powers (there is no login on the command line).
"""

from __future__ import annotations

import getpass
from datetime import datetime
from pathlib import Path

import click

from daihuo.cli.context import echo_json, engine_scope


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # noqa: BLE001  (no user name in some containers)
        return "cli"


def _fail(exc: Exception) -> click.ClickException:
    return click.ClickException(str(exc))


# -- sources ---------------------------------------------------------------------------------
def _vars(values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for v in values:
        key, sep, value = v.partition("=")
        if not sep:
            raise click.BadParameter(f"{v!r}: write NAME=VALUE", param_hint="--var")
        out[key] = value
    return out


@click.command(name="import")
@click.argument("file", required=False, type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--registry", type=click.Path(dir_okay=False, path_type=Path), default=None,
              hidden=True, help="Same as FILE (older spelling).")
@click.option("--var", "variables", multiple=True, metavar="NAME=VALUE",
              help="Fill {NAME} placeholders in the file's URLs.")
def sources_import(file: Path | None, registry: Path | None, variables: tuple[str, ...]) -> None:
    """Import sources from a TOML FILE into the store (default: crawlers/sources.toml).

    The store is where sources live (the console, `daihuo crawl`, the scheduler and workers
    all read it); TOML is for importing and exporting them. Idempotent: new sources are
    added, known ones get the file's settings but keep their enabled state (an editor's
    decision). `daihuo sources export` writes the same format.
    """
    from crawlers.registry import DEFAULT_REGISTRY
    from editorial.sources import SourceError, import_registry

    registry = file or registry
    with engine_scope() as engine:
        try:
            res = import_registry(engine, registry or DEFAULT_REGISTRY, _actor(), variables=_vars(variables))
        except SourceError as exc:
            raise _fail(exc) from None
    click.echo(f"added {len(res.added)}, updated {len(res.updated)}, unchanged {len(res.unchanged)}")
    for name in res.added:
        click.echo(f"  + {name}")
    for name in res.updated:
        click.echo(f"  ~ {name}")


@click.command(name="export")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="File (default: standard output).")
def sources_export(out: Path | None) -> None:
    """Write every stored source as TOML (`daihuo sources import FILE` reads it back)."""
    from editorial.source_config import dump_registry
    from editorial.sources import list_sources, source_config

    with engine_scope() as engine:
        configs = [source_config(engine, s.name) for s in list_sources(engine)]
    text = dump_registry(configs)
    if out:
        out.write_text(text, encoding="utf-8")
        click.echo(f"exported {len(configs)} sources to {out}", err=True)
    else:
        click.echo(text, nl=False)


@click.command(name="list")
@click.option("--json", "as_json", is_flag=True)
def sources_list(as_json: bool) -> None:
    """Sources in the store (what the console and the scheduler use)."""
    from editorial.sources import list_sources

    with engine_scope() as engine:
        items = list_sources(engine)
    if as_json:
        echo_json([s.to_dict() for s in items])
        return
    for s in items:
        state = "enabled" if s.enabled else "disabled"
        click.echo(f"{s.name:<24} {s.kind:<9} tier {s.tier}  {state:<9} {s.articles:>6} articles "
                   f"({s.new_articles} new)  {s.start_url}")
    click.echo(f"{len(items)} sources")


def _source_options(func):  # noqa: ANN001, ANN202
    opts = [
        click.option("--url", "start_urls", multiple=True, help="Start URL (repeat for several)."),
        click.option("--kind", type=click.Choice(["news", "listings"])),
        click.option("--follow", multiple=True, help="Regex of list pages to follow (repeatable)."),
        click.option("--articles", multiple=True, help="Regex of article links (repeatable)."),
        click.option("--domain", "allowed_domains", multiple=True, help="Allowed domain (repeatable)."),
        click.option("--delay", type=float), click.option("--concurrency", type=int),
        click.option("--charset"), click.option("--region", type=click.Choice(["tw", "hk", "cn"])),
        click.option("--selector"), click.option("--tier", type=click.Choice(["A", "B", "C"])),
        click.option("--note"),
    ]
    for opt in reversed(opts):
        func = opt(func)
    return func


def _fields(opts: dict) -> dict:
    data = {}
    for key in ("start_urls", "follow", "articles", "allowed_domains"):
        if opts.get(key):
            data[key] = list(opts[key])
    for key in ("kind", "delay", "concurrency", "charset", "region", "selector"):
        if opts.get(key) is not None:
            data[key] = opts[key]
    return data


@click.command(name="add")
@click.argument("name")
@_source_options
@click.option("--disabled", is_flag=True, help="Add it disabled.")
def sources_add(name: str, disabled: bool, **opts) -> None:
    """Add a source (validated; hosts on private networks need an allowed network, see
    `daihuo settings allow-network`)."""
    from editorial.sources import SourceError, add_source

    data = {"name": name, **_fields(opts), "enabled": not disabled}
    with engine_scope() as engine:
        try:
            view = add_source(engine, data, _actor(), tier=opts.get("tier") or "B", note=opts.get("note"))
        except SourceError as exc:
            raise _fail(exc) from None
    click.echo(f"added {view.name} ({view.kind}, tier {view.tier}, {'enabled' if view.enabled else 'disabled'})")


@click.command(name="edit")
@click.argument("name")
@_source_options
def sources_edit(name: str, **opts) -> None:
    """Change a source's fields, tier or note (only the options given change)."""
    from editorial.sources import SourceError, update_source

    with engine_scope() as engine:
        try:
            view = update_source(engine, name, _fields(opts), _actor(), tier=opts.get("tier"),
                                 note=opts.get("note"))
        except SourceError as exc:
            raise _fail(exc) from None
    click.echo(f"updated {view.name}")


def _toggle(name: str, on: bool) -> None:
    from editorial.sources import SourceError, set_enabled

    with engine_scope() as engine:
        try:
            set_enabled(engine, name, on, _actor())
        except SourceError as exc:
            raise _fail(exc) from None
    click.echo(f"{name} {'enabled' if on else 'disabled'}")


@click.command(name="enable")
@click.argument("name")
def sources_enable(name: str) -> None:
    """Enable a source."""
    _toggle(name, True)


@click.command(name="disable")
@click.argument("name")
def sources_disable(name: str) -> None:
    """Disable a source (scheduled crawls skip it)."""
    _toggle(name, False)


@click.command(name="test")
@click.argument("name")
@click.argument("url", required=False)
@click.option("--json", "as_json", is_flag=True)
def sources_test(name: str, url: str | None, as_json: bool) -> None:
    """Fetch one page of a source (default its first start URL) and show the extraction."""
    from daihuo.web.console.extraction import test_extraction
    from editorial.sources import SourceError, allowed_networks, get_source

    with engine_scope() as engine:
        try:
            view = get_source(engine, name)
        except SourceError as exc:
            raise _fail(exc) from None
        out = test_extraction(url or view.start_url, allowed_networks(engine), source=name, config=view.config)
    if as_json:
        echo_json(out)
        return
    if out.get("error"):
        raise click.ClickException(out["error"])
    r, f = out["result"], out["fetch"]
    click.echo(f"{f['url']}  HTTP {f['status']}  {f['bytes']} bytes  {f['fetch_ms']} ms")
    click.echo(f"title:     {r['title']}")
    click.echo(f"published: {r['published']}")
    click.echo(f"platforms: {', '.join(r['platforms']) or '-'}   topics: {', '.join(r['topics']) or '-'}")
    click.echo(f"flags:     {', '.join(f'{k}:{v}' for k, v in r['flags'].items()) or '-'}")
    click.echo(f"body:      {len(r['body'])} chars\n")
    click.echo(r["body"][:600])


SOURCES_COMMANDS = [sources_import, sources_export, sources_list, sources_add, sources_edit, sources_enable,
                    sources_disable, sources_test]


# -- queue and decisions ---------------------------------------------------------------------
@click.command(name="queue")
@click.option("--status", default="new", show_default=True,
              type=click.Choice(["new", "approved", "rejected", "published", "unpublished", "all"]))
@click.option("--source")
@click.option("--tier", type=click.Choice(["A", "B", "C"]))
@click.option("--platform")
@click.option("--topic")
@click.option("--flag", help="Only articles the cleaner flagged so (e.g. ad_contact).")
@click.option("-q", "--query", "q", help="Words in the title.")
@click.option("--page", default=1, type=click.IntRange(1))
@click.option("--limit", default=30, type=click.IntRange(1, 500))
@click.option("--json", "as_json", is_flag=True)
def queue_cmd(status: str, source, tier, platform, topic, flag, q, page: int, limit: int,  # noqa: ANN001
              as_json: bool) -> None:
    """The curation queue: one line per story (reposts collapsed), newest first."""
    from editorial.review_queue import QueueFilter, queue

    f = QueueFilter(status=None if status == "all" else status, source=source, tier=tier,
                    platform=platform, topic=topic, flag=flag, q=q, page=page, per_page=limit)
    with engine_scope() as engine:
        result = queue(engine, f)
    if as_json:
        echo_json({"total": result.total, "page": result.page, "pages": result.pages, "items": result.items})
        return
    for it in result.items:
        more = f" +{len(it['members'])} reposts" if it["members"] else ""
        tags = ",".join(it["platforms"][:2] + it["topics"][:2])
        flags = ",".join(it["flags"]) or "-"
        click.echo(f"{it['id']:>6}  {it['status']:<8} {it['source'] or '-':<16} {it['tier']}  "
                   f"{(it['edited_title'] or it['title'] or it['url'])[:40]}  [{tags}] flags:{flags}{more}")
    click.echo(f"{result.total} stories (page {result.page}/{result.pages})")


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    from daihuo.web.site.markup import CHINA_TZ

    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r}: use ISO 8601, e.g. 2026-03-20T09:00", param_hint="--at") from None
    return dt if dt.tzinfo else dt.replace(tzinfo=CHINA_TZ)


def _decide(ids: tuple[int, ...], action: str, reason: str | None, at: str | None = None,
            story: bool = False) -> None:
    from daihuo.web.console.pages import apply_decision
    from editorial.curation import CurationError
    from editorial.review_queue import story_members

    with engine_scope() as engine:
        chosen = story_members(engine, list(ids)) if story else list(ids)
        try:
            n = apply_decision(engine, chosen, action, _actor(), reason, _when(at))
        except CurationError as exc:
            raise _fail(exc) from None
    click.echo(f"{action}: {n} article(s)")


@click.command(name="approve")
@click.argument("ids", nargs=-1, type=int, required=True)
@click.option("--at", help="Go live at this time (China time unless an offset is given).")
@click.option("--reason")
@click.option("--story", is_flag=True, help="Also the stories' other new articles (reposts).")
def approve_cmd(ids: tuple[int, ...], at: str | None, reason: str | None, story: bool) -> None:
    """Approve articles for the site (now, or --at a later time)."""
    _decide(ids, "approve", reason, at, story)


@click.command(name="reject")
@click.argument("ids", nargs=-1, type=int, required=True)
@click.option("--reason", required=True)
@click.option("--story", is_flag=True, help="Also the stories' other new articles (reposts).")
def reject_cmd(ids: tuple[int, ...], reason: str, story: bool) -> None:
    """Keep articles off the site (they stay searchable for analysts)."""
    _decide(ids, "reject", reason, story=story)


@click.command(name="feature")
@click.argument("ids", nargs=-1, type=int, required=True)
@click.option("--off", is_flag=True, help="Unpin instead.")
@click.option("--reason")
def feature_cmd(ids: tuple[int, ...], off: bool, reason: str | None) -> None:
    """Pin articles to the top of the home page (they still need approval)."""
    _decide(ids, "unfeature" if off else "feature", reason)


@click.command(name="edit")
@click.argument("article_id", type=int)
@click.option("--title", help="The editors' title ('' clears it).")
@click.option("--summary", help="The summary shown on the site ('' clears it).")
def edit_cmd(article_id: int, title: str | None, summary: str | None) -> None:
    """Set an article's displayed title and/or summary (the crawled text is kept)."""
    from editorial.curation import CurationError, edit

    fields = {k: v for k, v in (("title", title), ("summary", summary)) if v is not None}
    with engine_scope() as engine:
        try:
            edit(engine, article_id, _actor(), **fields)
        except CurationError as exc:
            raise _fail(exc) from None
    click.echo(f"edited #{article_id}")


# -- rules -----------------------------------------------------------------------------------
@click.group(name="rules")
def rules_group() -> None:
    """Auto-publish rules, tried in order on each new article (first match decides).

    \b
    Condition: clauses joined by "and", each optionally prefixed by "no"/"not":
      tier A[,B]  source NAME  platform [NAME]  topic [NAME]  flag NAME (spam = ad flags)
      body >= N   cluster > N  title contains WORD  dated
    e.g.  daihuo rules add trusted "tier A and platform and no flag spam" --action approve
    """


@rules_group.command(name="list")
@click.option("--json", "as_json", is_flag=True)
def rules_list(as_json: bool) -> None:
    """List the rules in the order they are tried."""
    from editorial.rules import list_rules

    with engine_scope() as engine:
        items = list_rules(engine)
    if as_json:
        echo_json([r.to_dict() for r in items])
        return
    for r in items:
        click.echo(f"{r.position:>4}  {r.name:<20} {r.action:<8} {'on ' if r.enabled else 'off'}  {r.condition}")
    click.echo(f"{len(items)} rules")


@rules_group.command(name="add")
@click.argument("name")
@click.argument("condition")
@click.option("--action", type=click.Choice(["approve", "reject", "feature"]), required=True)
@click.option("--position", type=int, help="Order (default: last).")
@click.option("--disabled", is_flag=True)
def rules_add(name: str, condition: str, action: str, position: int | None, disabled: bool) -> None:
    """Add a rule."""
    from editorial.rules import RuleError, add_rule

    with engine_scope() as engine:
        try:
            rule = add_rule(engine, name, condition, action, _actor(), position=position, enabled=not disabled)
        except RuleError as exc:
            raise _fail(exc) from None
    click.echo(f"added rule {rule.name}: {rule.condition} → {rule.action}")


@rules_group.command(name="remove")
@click.argument("name")
def rules_remove(name: str) -> None:
    """Remove a rule."""
    from editorial.rules import RuleError, remove_rule

    with engine_scope() as engine:
        try:
            remove_rule(engine, name, _actor())
        except RuleError as exc:
            raise _fail(exc) from None
    click.echo(f"removed rule {name}")


@rules_group.command(name="set")
@click.argument("name")
@click.option("--condition")
@click.option("--action", type=click.Choice(["approve", "reject", "feature"]))
@click.option("--position", type=int)
@click.option("--enable/--disable", "enabled", default=None)
def rules_set(name: str, condition: str | None, action: str | None, position: int | None,
              enabled: bool | None) -> None:
    """Change a rule."""
    from editorial.rules import RuleError, update_rule

    with engine_scope() as engine:
        try:
            rule = update_rule(engine, name, _actor(), condition=condition, action=action,
                               position=position, enabled=enabled)
        except RuleError as exc:
            raise _fail(exc) from None
    click.echo(f"{rule.name}: {rule.condition} → {rule.action} ({'on' if rule.enabled else 'off'})")


@rules_group.command(name="run")
@click.option("--apply", "apply_", is_flag=True, help="Carry the decisions out (default: preview).")
def rules_run(apply_: bool) -> None:
    """Run the rules over the articles waiting in the queue."""
    from editorial.review_queue import new_article_ids
    from editorial.rules import evaluate_new_articles

    with engine_scope() as engine:
        decisions = evaluate_new_articles(engine, new_article_ids(engine), apply=apply_)
    for d in decisions:
        click.echo(f"{d.article_id:>6}  {d.action:<8} {d.rule}")
    click.echo(f"{len(decisions)} decision(s){'' if apply_ else ' (preview; --apply to carry out)'}")


# -- settings --------------------------------------------------------------------------------
@click.group(name="settings")
def settings_group() -> None:
    """Console settings (admin)."""


@settings_group.command(name="show")
def settings_show() -> None:
    """Show the settings."""
    from editorial.sources import allowed_networks

    with engine_scope() as engine:
        nets = allowed_networks(engine)
    click.echo(f"allowed_networks: {', '.join(map(str, nets)) or '(none: private addresses refused)'}")


@settings_group.command(name="allow-network")
@click.argument("networks", nargs=-1)
@click.option("--clear", is_flag=True, help="Allow no private network at all.")
def settings_allow(networks: tuple[str, ...], clear: bool) -> None:
    """Let sources use these private networks (CIDR), e.g. 127.0.0.0/8 for the demo site.
    Replaces the list."""
    from editorial.sources import SourceError, set_allowed_networks

    if not networks and not clear:
        raise click.UsageError("name networks, or --clear")
    with engine_scope() as engine:
        try:
            nets = set_allowed_networks(engine, [] if clear else list(networks), _actor())
        except SourceError as exc:
            raise _fail(exc) from None
    click.echo(f"allowed_networks: {', '.join(map(str, nets)) or '(none)'}")


TOP_COMMANDS = [queue_cmd, approve_cmd, reject_cmd, feature_cmd, edit_cmd, rules_group, settings_group]


def register(main: click.Group) -> None:
    """Add the console's commands to the ``daihuo`` group: ``sources`` subcommands (into the
    existing ``sources`` group when there is one) and the top-level queue/rules/settings."""
    group = main.commands.get("sources")
    if not isinstance(group, click.Group):
        group = click.Group(name="sources", help="Sources in the store and the registry file.")
        main.add_command(group)
    for cmd in SOURCES_COMMANDS:
        if cmd.name in group.commands:
            raise RuntimeError(f"daihuo sources {cmd.name} exists already")
        group.add_command(cmd)
    for cmd in TOP_COMMANDS:
        if cmd.name in main.commands:
            raise RuntimeError(f"daihuo {cmd.name} exists already")
        main.add_command(cmd)
