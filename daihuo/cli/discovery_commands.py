"""`daihuo sources discover URL`: propose a source from a site's homepage (crawlers.discovery),
preview what it would crawl, and save it as a normal source when asked."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import click


def toml_source(src: dict) -> str:
    def val(v: object) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return repr(v)
        if isinstance(v, list):
            return "[" + ", ".join(val(x) for x in v) + "]"
        return "'" + str(v).replace("'", "") + "'"  # literal strings: regexes stay as written

    return "[[source]]\n" + "".join(f"{k} = {val(v)}\n" for k, v in src.items())


@click.command(name="discover")
@click.argument("url")
@click.option("--name", help="Source name (default: from the host).")
@click.option("--preview", "preview_n", default=5, show_default=True, type=click.IntRange(0, 50),
              help="Articles to fetch and extract as a preview.")
@click.option("--delay", default=2.0, show_default=True, type=click.FloatRange(0, 60),
              help="Seconds between requests (the site's Crawl-delay wins when larger).")
@click.option("--save", is_flag=True, help="Save the proposal as a (disabled) source in the store.")
@click.option("--json", "as_json", is_flag=True)
def sources_discover(url: str, name: str | None, preview_n: int, delay: float, save: bool,
                     as_json: bool) -> None:
    """Propose a source from a site's homepage URL: feeds, sitemaps, article and list
    patterns, pagination and rendering, with a preview of the first articles. Print it as a
    registry entry to edit, or --save it (disabled, to review in the console or with
    `daihuo sources edit`)."""
    from crawlers.discovery import discover
    from daihuo.cli.context import engine_scope
    from daihuo.cli.editorial_commands import _actor, _fail
    from daihuo.web.console.discovery_fetch import default_name, guarded_fetcher, process_page
    from editorial.sources import SourceError, add_source, allowed_networks, check_url

    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
        raise click.UsageError(f"not an http(s) URL: {url!r} (e.g. https://news.example.com/)")
    with engine_scope() as engine:
        allowed = allowed_networks(engine)
        try:
            check_url(url, allowed)
        except SourceError as exc:
            raise _fail(exc) from None
        found = discover(url, guarded_fetcher(allowed), delay=delay, preview=preview_n,
                         process=process_page)
        src = found.source(name or default_name(url))  # the crawl delay: 2 s, or Crawl-delay
        if save:
            try:
                add_source(engine, {**src, "enabled": False}, _actor(),
                           note=f"discovered from {url}")
            except SourceError as exc:
                raise _fail(exc) from None
    if as_json:
        click.echo(json.dumps({"source": src, "feeds": found.feeds, "sitemaps": found.sitemaps,
                               "crawl_delay": found.crawl_delay, "render_why": found.render_why,
                               "multipage_articles": found.multipage, "notes": found.notes,
                               "previews": [p.__dict__ for p in found.previews],
                               "requests": len(found.fetched)}, ensure_ascii=False, indent=2))
        return
    click.echo(f"feeds:     {', '.join(found.feeds) or '-'}")
    click.echo(f"sitemaps:  {', '.join(found.sitemaps) or '-'}")
    if found.crawl_delay:
        click.echo(f"robots.txt Crawl-delay: {found.crawl_delay:g}s")
    if found.render_why:
        click.echo(f"render:    auto ({found.render_why})")
    if found.multipage:
        click.echo(f"pagination: {found.multipage} previewed article(s) split over pages (joined when crawled)")
    for note in found.notes:
        click.echo(f"note:      {note}")
    click.echo(f"\npreview ({len(found.previews)} articles):")
    for p in found.previews:
        click.echo(f"  [{p.quality}] {p.url}\n      {p.title or '(no title)'} · {p.chars} chars"
                   + (f" · {p.pages} pages" if p.pages > 1 else ""))
    click.echo(f"\n{len(found.fetched)} requests made. Proposed source (edit, then add it to the registry"
               " or save it with --save):\n")
    click.echo(toml_source(src))
    if save:
        click.echo(f"saved as {src['name']} (disabled): review it, then `daihuo sources enable {src['name']}`")


def register(main: click.Group) -> None:
    group = main.commands.get("sources")
    if group is not None:
        group.add_command(sources_discover)
