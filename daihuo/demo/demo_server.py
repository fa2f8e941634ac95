"""The bundled demo site: a small live-commerce news site with the chrome real sources have
(nav, share widget, editor credit, related list, disclaimer, footer), served on 127.0.0.1.

It has a Traditional page with pasted pinyin readings, a GBK-encoded page, an article with
account cards under it, an RSS feed, a link that 404s and a robots.txt that disallows
/private/. ``synthetic=N`` adds N generated article pages (recombined demo paragraphs) for
benchmarks. Every request is logged so tests can see what the crawler fetched.
"""

from __future__ import annotations

import html
import random
import socket
import struct
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path

from daihuo.demo.demo_listings import ListingsSite, listing_source

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SITE_DIR = Path(str(resources.files("daihuo.demo")))
PER_PAGE = 4

NAV = ["首页", "行业资讯", "平台动态", "账号交易", "主播观察", "关于我们"]
#: lines of chrome that must never reach an article body (tests assert this)
BOILERPLATE = [
    "分享到:微信 微博 QQ空间 [打印]",
    "声明:本站部分内容来源于网络,仅供学习交流,版权归原作者所有,如有侵权请联系删除。",
    "Copyright © 2026 直播电商观察网 版权所有 京ICP备00000000号",
    "扫码关注直播电商观察网公众号,每日获取最新直播带货资讯",
    "热门标签:直播带货 主播 私域流量 产业带 双十一",
]


def load_articles() -> tuple[dict, list[dict]]:
    data = tomllib.loads((SITE_DIR / "articles.toml").read_text(encoding="utf-8"))
    return data["site"], data["article"]


def article_path(art: dict) -> str:
    return f"/private/{art['id']}.html" if art.get("private") else f"/news/{art['id']}.html"


def _cards_html(n: int) -> str:
    """Account cards under an article, one value per block, as account-trading sites show them."""
    rows = []
    for i in range(n):
        followers = ["12.6W", "8.45W", "31.2W"][i % 3]
        verified = "已认证" if i % 2 else "未认证"
        rows.append(
            f'<li class="acc-card"><a href="/zh/{9000 + i}.html">'
            f'<div class="fans">{followers}</div><div>W</div><div>无违规</div><div>已开通</div>'
            f"<div>{verified}</div><div>粉丝数量</div><div>有无违规</div><div>直播权限</div>"
            "<div>认证状态</div></a></li>"
        )
    return ('<div class="acc-rec"><p>为您推荐:“自媒体” 相关在售账号</p><ul>'
            + "".join(rows) + "</ul></div>")


def render_article(site: dict, art: dict, related: list[dict]) -> str:
    esc = html.escape
    paras = "\n".join(f"<p>{esc(p)}</p>" for p in art["paragraphs"])
    rel = "\n".join(
        f'<li><a href="{article_path(r)}">{esc(r["paragraphs"][0][:28])}...</a></li>' for r in related
    )
    nav = "".join(f'<a href="/">{esc(n)}</a>' for n in NAV)
    cards = _cards_html(art.get("listing_cards", 3)) if art.get("cards") else ""
    lang = "zh-Hant" if art.get("traditional") else "zh-CN"
    charset = art.get("encoding", "utf-8")
    return f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="{charset}">
<title>{esc(art['title'])} - {esc(site['name'])}</title>
<meta name="keywords" content="{esc(site['keyword'])},直播电商,主播">
<link rel="canonical" href="{article_path(art)}">
</head><body>
<div class="top"><div class="logo">{esc(site['name'])}</div><div class="nav">{nav}</div>
<div class="search"><form action="/search"><input name="q"><button>搜索</button></form></div></div>
<div class="crumb">当前位置:<a href="/">首页</a> &gt; <a href="/">行业资讯</a> &gt; 正文</div>
<div class="main"><div class="article">
<h1>{esc(art['title'])}</h1>
<div class="info">发布时间:{esc(art['published'])} 作者:{esc(art['author'])} 来源:{esc(site['name'])} 阅读:1024</div>
<div class="share">{esc(BOILERPLATE[0])}</div>
<div class="content">
{paras}
</div>
<p class="editor">(责任编辑:{esc(art['editor'])})</p>
{cards}
<div class="pages"><a href="/">上一篇:返回首页</a> <a href="/">下一篇:更多直播资讯</a></div>
<div class="related"><h3>相关新闻</h3><ul>
{rel}
</ul></div>
<p class="statement">{esc(BOILERPLATE[1])}</p>
</div>
<div class="side"><h3>热门排行</h3><ul><li><a href="/">主播带货排行榜本周更新</a></li>
<li><a href="/">直播间运营的十个技巧</a></li></ul><p>{esc(BOILERPLATE[4])}</p></div></div>
<div class="foot"><p>{esc(BOILERPLATE[3])}</p><p>{esc(BOILERPLATE[2])}</p></div>
</body></html>"""


def render_list(site: dict, arts: list[dict], page: int, pages: int) -> str:
    esc = html.escape
    items = "\n".join(
        f'<li><a href="{article_path(a)}">{esc(a["title"])}</a><span>{esc(a["published"][:10])}</span></li>'
        for a in arts)
    pager = " ".join(
        f'<a href="/list_{p}.html">{p}</a>' if p != page else f"<b>{p}</b>" for p in range(1, pages + 1))
    return f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">
<title>行业资讯 - {esc(site['name'])}</title></head><body>
<div class="nav">{''.join(f'<a href="/">{esc(n)}</a>' for n in NAV)}</div>
<ul class="list">
{items}
</ul>
<div class="pager">{pager}</div>
<div class="foot">{esc(BOILERPLATE[2])}</div></body></html>"""


def render_rss(site: dict, arts: list[dict], base: str) -> str:
    esc = html.escape
    items = "".join(
        f"<item><title>{esc(a['title'])}</title><link>{base}{article_path(a)}</link></item>"
        for a in arts)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{esc(site['name'])}</title><link>{base}/</link>{items}</channel></rss>")


ROBOTS = "User-agent: *\nDisallow: /private/\n"


def synthetic_articles(n: int, seed: int = 7) -> list[dict]:
    """N article dicts recombined from the demo paragraphs (deterministic)."""
    _, arts = load_articles()
    pool = [p for a in arts if not a.get("traditional") and not a.get("private")
            for p in a["paragraphs"]]
    titles = [a["title"] for a in arts if not a.get("traditional") and not a.get("private")]
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        paras = rnd.sample(pool, k=min(len(pool), rnd.randint(6, 10)))
        out.append({
            "id": 100000 + i, "title": f"{rnd.choice(titles)}(第{i}期)",
            "published": f"2026-0{1 + i % 9}-{1 + i % 28:02d} 10:00:00", "author": "记者",
            "editor": "编辑", "paragraphs": [f"第{i}期:{paras[0]}"] + paras[1:],
        })
    return out


@dataclass
class DemoSite:
    """The demo site's content, and the log of what was requested."""

    synthetic: int = 0
    generated: list[dict] | None = None  # extra article dicts to serve (benchmarks' corpora)
    requests: list[tuple[float, str]] = field(default_factory=list)
    listings: ListingsSite = field(default_factory=ListingsSite)

    def __post_init__(self) -> None:
        self.site, arts = load_articles()
        self.articles = arts + synthetic_articles(self.synthetic) if self.synthetic else arts
        if self.generated:
            self.articles = self.articles + list(self.generated)
        self.by_path = {article_path(a): a for a in self.articles}
        listed = [a for a in self.articles if not a.get("feed_only")]
        if self.synthetic or self.generated:
            self.pages = [listed[i : i + 50] for i in range(0, len(listed), 50)]
        else:
            n = max(a.get("list_page", 1) for a in listed)
            self.pages = [[a for a in listed if a.get("list_page", 1) == p] for p in range(1, n + 1)]
        self._lock = threading.Lock()

    def related(self, art: dict) -> list[dict]:
        others = [a for a in self.articles[:12] if a is not art and not a.get("private")]
        return others[:4]

    def respond(self, path: str, base: str, at: float | None = None) -> tuple[int, str, bytes]:
        """The page for ``path``; ``at``: when the request reached the site (monotonic)."""
        with self._lock:
            self.requests.append((time.monotonic() if at is None else at, path))
        path = path.split("?", 1)[0]
        if path.startswith("/zh/"):  # the account-trading part of the site
            return self.listings.respond(path, base)
        if path == "/robots.txt":
            return 200, "text/plain", ROBOTS.encode()
        if path in ("/", "/index.html") or (path.startswith("/list_") and path.endswith(".html")):
            num = 1 if path in ("/", "/index.html") else int(path[6:-5] or 0)
            if 1 <= num <= len(self.pages):
                body = render_list(self.site, self.pages[num - 1], num, len(self.pages))
                if num == 1 and not (self.synthetic or self.generated):  # a link to a page that is gone
                    body = body.replace("</ul>", '<li><a href="/news/1099.html">已删除的旧闻</a></li></ul>')
                return 200, "text/html; charset=utf-8", body.encode()
        if path == "/rss.xml":
            feed = [a for a in self.articles if a.get("feed_only")] + self.pages[0][:2]
            return 200, "application/rss+xml", render_rss(self.site, feed, base).encode()
        art = self.by_path.get(path)
        if art is not None:
            enc = art.get("encoding", "utf-8")
            body = render_article(self.site, art, self.related(art)).encode(enc, "xmlcharrefreplace")
            # The GBK page declares its charset only in <meta>, as such sites do.
            ctype = "text/html" if enc != "utf-8" else "text/html; charset=utf-8"
            return 200, ctype, body
        return 404, "text/html; charset=utf-8", "<html><body><h1>404 页面不存在</h1></body></html>".encode()

    def fetched(self, prefix: str) -> list[str]:
        with self._lock:
            return [p for _, p in self.requests if p.startswith(prefix)]


class _Handler(BaseHTTPRequestHandler):
    site: DemoSite

    def setup(self) -> None:
        super().setup()
        self.arrived = arrival_time(self.connection)

    def do_GET(self) -> None:  # noqa: N802
        host, port = self.server.server_address[:2]
        status, ctype, body = self.site.respond(self.path, f"http://{host}:{port}", self.arrived)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:  # noqa: A002, ANN002
        pass  # the DemoSite keeps its own request log


# Linux stamps each received packet when a socket asks for it (SO_TIMESTAMPNS, inherited by
# accepted connections): the request log then holds when a request reached the site, not when
# a thread of this Python process got round to it (under load that is up to seconds later, and
# stalled requests would be logged in clumps).
_SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35 if sys.platform.startswith("linux") else None)


def arrival_time(conn: socket.socket) -> float | None:
    """When the first bytes on ``conn`` arrived (time.monotonic() clock), from the kernel's
    receive timestamp; None where there is none (the request is then logged when handled)."""
    if _SO_TIMESTAMPNS is None or not hasattr(conn, "recvmsg"):
        return None
    try:
        _, ancillary, _, _ = conn.recvmsg(1, socket.CMSG_SPACE(16), socket.MSG_PEEK)
    except OSError:
        return None
    for level, kind, raw in ancillary:
        if level == socket.SOL_SOCKET and kind == _SO_TIMESTAMPNS and len(raw) >= 16:
            sec, nsec = struct.unpack("qq", raw[:16])
            return time.monotonic() - (time.time() - (sec + nsec / 1e9))
    return None


class _Server(ThreadingHTTPServer):
    # A real site's accept queue, not Python's default of 5: with 5, connections arriving
    # while the serving thread is busy are dropped and the clients' SYN retries come back
    # together one and three seconds later.
    request_queue_size = 128

    def server_bind(self) -> None:
        if _SO_TIMESTAMPNS is not None:
            try:
                self.socket.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)
            except OSError:
                pass
        super().server_bind()


class BackgroundServer:
    """An HTTP server on 127.0.0.1 (a free port) in a background thread, stopped on exit
    (the demo site's, and the tests' local sites and receivers)."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], host: str = "127.0.0.1", port: int = 0) -> None:
        self.httpd = _Server((host, port), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self):  # noqa: ANN204
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class DemoServer(BackgroundServer):
    """Serve a DemoSite on 127.0.0.1 (a free port) in a background thread."""

    def __init__(self, site: DemoSite | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.site = site or DemoSite()
        super().__init__(type("Handler", (_Handler,), {"site": self.site}), host, port)


def demo_sources(base_url: str) -> list[dict]:
    """Registry entries for the demo site (list pages + an RSS feed)."""
    host = base_url.split("://", 1)[1]
    common = {"allowed_domains": [host.split(":")[0]], "delay": 0.0, "concurrency": 8,
              "autothrottle": False}
    return [
        {"name": "demo-news", "kind": "news", "start_urls": [f"{base_url}/"],
         "follow": [r"/list_\d+\.html$"], "articles": [r"/(news|private)/\d+\.html$"], **common},
        {"name": "demo-feed", "kind": "news", "start_urls": [f"{base_url}/rss.xml"],
         "articles": [r"/news/\d+\.html$"], **common},
        {**listing_source(base_url), "allowed_domains": common["allowed_domains"]},
    ]


def registry_toml(sources: list[dict]) -> str:
    """Source-file text for source dicts (what `daihuo sources import FILE` reads)."""
    from editorial.source_config import dump_registry, parse_source

    return dump_registry([parse_source(s) for s in sources])


def site_source(name: str, base_url: str, *, delay: float, concurrency: int) -> dict:
    """A source dict crawling a DemoSite at ``base_url``: its list pages, then its articles
    (what the distributed tests and benchmarks seed their workers with)."""
    return {"name": name, "kind": "news", "start_urls": [f"{base_url}/"],
            "allowed_domains": ["127.0.0.1"], "follow": [r"/list_\d+\.html$"],
            "articles": [r"/news/\d+\.html$"], "delay": delay, "concurrency": concurrency,
            "autothrottle": False}
