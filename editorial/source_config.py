"""The source registry format: one TOML file lists every source, validated on load.

(Pure Python, so the store can validate sources too; crawlers/registry.py names the file.)

    [[source]]
    name = "example-news"            # unique, [a-z0-9_-]
    kind = "news"                    # news | listings
    start_urls = ["https://example.com/live/"]   # list pages, RSS/Atom feeds or sitemaps
    allowed_domains = ["example.com"]            # default: the start URLs' hosts
    follow = ['/live/list_\\d+\\.html']          # regexes: list pages and pagination to follow
    articles = ['/live/\\d+\\.html']             # regexes: links that are articles
    delay = 2.0                      # seconds between requests to the site (default 2)
    concurrency = 1                  # parallel requests to the site (default 1)
    autothrottle = true              # adapt the delay to the site's latency (default true)
    charset = "gbk"                  # optional: used when the page declares none
    region = "tw"                    # optional: tw | hk, picks the OpenCC config
    selector = "div.article"         # optional: CSS selector of the main content
    enabled = true
    removed_after = 2                # listings: missed crawls before a listing counts as removed
    render = "never"                 # never | auto | always (editorial/source_fetching.py)
    max_pages = 20                   # pages of one multi-page article at most
    list_api = {url = "https://example.com/api?page={page}", items = "data", link = "url"}
                                     # a JSON list endpoint (editorial/source_fetching.py)
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from editorial.network_policy import domain_problem
from editorial.source_fetching import check_list_api, check_max_pages, check_render

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
KINDS = ("news", "listings")


class RegistryError(ValueError):
    """The registry file is invalid; the message names the file, the source and the field."""


@dataclass
class SourceConfig:
    name: str
    kind: str
    start_urls: list[str]
    allowed_domains: list[str] = field(default_factory=list)
    follow: list[str] = field(default_factory=list)
    articles: list[str] = field(default_factory=list)
    delay: float = 2.0
    concurrency: int = 1
    autothrottle: bool = True
    charset: str | None = None
    region: str | None = None
    selector: str | None = None
    enabled: bool = True
    removed_after: int = 2  # listings: crawls a listing may be missing before it counts as removed
    render: str = "never"  # never | auto | always: fetch pages through Chromium (scrapy-playwright)
    max_pages: int = 20  # a multi-page article's pages at most
    list_api: dict | None = None  # a JSON list endpoint (editorial.source_fetching)

    def to_dict(self) -> dict:
        return asdict(self)


_FIELDS = set(SourceConfig.__dataclass_fields__)


def parse_source(data: dict, where: str = "source") -> SourceConfig:
    """Validate one source table; raise RegistryError naming ``where`` and the field."""
    def bad(fieldname: str, why: str) -> RegistryError:
        return RegistryError(f"{where}: field '{fieldname}': {why}")

    if not isinstance(data, dict):
        raise RegistryError(f"{where}: must be a table")
    unknown = set(data) - _FIELDS
    if unknown:
        raise bad(sorted(unknown)[0], f"unknown field (known: {', '.join(sorted(_FIELDS))})")
    name = data.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise bad("name", "required; lowercase letters, digits, '-' or '_'")
    where = f"{where} '{name}'"
    kind = data.get("kind", "news")
    if kind not in KINDS:
        raise bad("kind", f"must be one of {', '.join(KINDS)}, not {kind!r}")
    fetching = {}
    for key, check in (("render", check_render), ("max_pages", check_max_pages),
                       ("list_api", check_list_api)):
        if data.get(key) is not None:
            try:
                fetching[key] = check(data[key])
            except ValueError as exc:
                raise bad(key, str(exc)) from None
    urls = data.get("start_urls", [] if fetching.get("list_api") else None)
    if not isinstance(urls, list) or (not urls and not fetching.get("list_api")):
        raise bad("start_urls", "required (unless list_api is given); a list of http(s) URLs")
    for url in urls:
        if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https") \
                or not urlsplit(url).hostname:
            raise bad("start_urls", f"not an http(s) URL: {url!r}")
    for key in ("follow", "articles", "allowed_domains"):
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise bad(key, "must be a list of strings")
        if key == "allowed_domains":
            # the hosts the source starts from (its list API's too) may be single labels
            api_url = (fetching.get("list_api") or {}).get("url") if isinstance(fetching.get("list_api"), dict) else None
            hosts = [urlsplit(u).hostname or "" for u in [*urls, *([api_url] if api_url else [])]]
            for domain in value:  # Scrapy matches these as suffixes: no bare "1" or "com"
                problem = domain_problem(domain, hosts)
                if problem:
                    raise bad(key, problem)
        else:
            for pattern in value:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise bad(key, f"invalid regex {pattern!r}: {exc}") from None
    delay = data.get("delay", 2.0)
    if not isinstance(delay, (int, float)) or isinstance(delay, bool) or not 0 <= delay <= 3600:
        raise bad("delay", "seconds between requests, a number from 0 to 3600")
    conc = data.get("concurrency", 1)
    if not isinstance(conc, int) or isinstance(conc, bool) or not 1 <= conc <= 64:
        raise bad("concurrency", "a whole number from 1 to 64")
    removed_after = data.get("removed_after", 2)
    if not isinstance(removed_after, int) or isinstance(removed_after, bool) or not 1 <= removed_after <= 100:
        raise bad("removed_after", "a whole number of crawls from 1 to 100")
    region = data.get("region")
    if region not in (None, "tw", "hk", "cn"):
        raise bad("region", "tw, hk or cn")
    for key in ("charset", "selector"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise bad(key, "must be a string")
    for key in ("autothrottle", "enabled"):
        if not isinstance(data.get(key, True), bool):
            raise bad(key, "must be true or false")
    api_url = [fetching["list_api"]["url"].replace("{page}", "1")] if fetching.get("list_api") else []
    allowed = data.get("allowed_domains") or sorted({urlsplit(u).hostname for u in urls + api_url})
    return SourceConfig(**{**data, "kind": kind, "allowed_domains": allowed, "start_urls": urls,
                           "delay": float(delay), "concurrency": conc, **fetching})


def load_registry(path: Path | str, *, variables: dict[str, str] | None = None
                  ) -> list[SourceConfig]:
    """Load and validate a registry file. ``{name}`` placeholders in URLs are filled from
    ``variables`` (the demo uses ``{demo}`` for its local server's address)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RegistryError(f"{path}: cannot read: {exc.strerror}") from None
    for key, value in (variables or {}).items():
        text = text.replace("{" + key + "}", value)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(f"{path}: not valid TOML: {exc}") from None
    tables = data.get("source", [])
    if not isinstance(tables, list):
        raise RegistryError(f"{path}: sources are written as [[source]] tables")
    sources: list[SourceConfig] = []
    seen: set[str] = set()
    for i, table in enumerate(tables, 1):
        src = parse_source(table, where=f"{path.name}: source #{i}")
        if src.name in seen:
            raise RegistryError(f"{path.name}: source #{i} '{src.name}': field 'name': duplicate name")
        seen.add(src.name)
        sources.append(src)
    return sources


def _toml_value(value: object) -> str:
    # JSON's strings, numbers and arrays of them are valid TOML (ensure_ascii off: readable)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):  # an inline table (list_api); keys are plain words
        return "{" + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(value, ensure_ascii=False)


def dump_registry(sources: list[SourceConfig]) -> str:
    """The registry file for ``sources``: what load_registry reads back, field for field
    (fields left at their default are written too, so nothing depends on defaults)."""
    out = ["# daihuo sources (daihuo sources export); import with: daihuo sources import FILE", ""]
    for src in sources:
        out.append("[[source]]")
        for key, value in src.to_dict().items():
            if value is not None:
                out.append(f"{key} = {_toml_value(value)}")
        out.append("")
    return "\n".join(out)
