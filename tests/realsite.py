"""Local sites shaped like real ones (not a test module): pages whose body or list is written
by JavaScript, articles split over pages in each URL form, a JSON list API, a robots.txt with
Crawl-delay, and generated sites with different URL schemes, feeds and sitemap indexes.
Served on 127.0.0.1; every request is logged with its arrival time (server side), so tests
can measure what the crawler fetched and when. All text is generated here."""

from __future__ import annotations

import html
import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from daihuo.demo.demo_server import BackgroundServer

SUBJECTS = ["主播", "商家", "平台", "品牌方", "供应链团队", "运营人员", "产业带工厂", "直播间"]
VERBS = ["介绍了", "调整了", "总结了", "复盘了", "公布了", "优化了", "讨论了", "测试了"]
OBJECTS = ["选品策略", "退货流程", "投流预算", "短视频脚本", "物流时效", "会员权益", "价格机制",
           "客服话术", "售后规则", "库存计划"]
TAILS = ["效果比上月明显提升", "引起了同行的关注", "为后续活动积累了经验", "被写进了内部手册",
         "让转化率更加稳定", "成为团队新的工作重点"]


def paragraph(rng: random.Random, marker: str) -> str:
    """One generated Chinese paragraph (four sentences) carrying a unique ASCII marker."""
    parts = [f"{rng.choice(SUBJECTS)}{rng.choice(VERBS)}{rng.choice(OBJECTS)}，{rng.choice(TAILS)}。"
             for _ in range(4)]
    return f"{marker}：" + "".join(parts)


def page_html(title: str, body: str, *, head: str = "", nav: str = "", script: str = "") -> str:
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)} - 测试资讯网</title>"
            f"{head}</head><body><div class='nav'><a href='/'>首页</a> <a href='/about.html'>关于我们</a>{nav}</div>"
            f"{body}<div class='footer'>Copyright 测试资讯网 版权所有</div>{script}</body></html>")


def article_html(title: str, paragraphs: list[str], *, pager: str = "", byline: str = "来源：测试资讯网 2026-11-05 10:00") -> str:
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return page_html(title, f"<div class='article'><h1>{html.escape(title)}</h1>"
                            f"<div class='info'>{byline}</div><div class='content'>{body}</div>"
                            f"<div class='pager'>{pager}</div></div>")


@dataclass
class Site:
    """path (with query) -> (status, content type, body) or a callable giving it."""

    routes: dict[str, tuple[int, str, bytes] | Callable[[], tuple[int, str, bytes]]] = field(default_factory=dict)
    log: list[tuple[float, str]] = field(default_factory=list)  # (monotonic arrival, path)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, path: str, body: str | bytes, ctype: str = "text/html; charset=utf-8", status: int = 200) -> None:
        self.routes[path] = (status, ctype, body.encode("utf-8") if isinstance(body, str) else body)

    def respond(self, path: str) -> tuple[int, str, bytes]:
        with self.lock:
            self.log.append((time.monotonic(), path))
        route = self.routes.get(path)
        if route is None and "?" in path:
            route = self.routes.get(path.split("?")[0] + "?*")  # a page that ignores its query
        if route is None:
            return 404, "text/html; charset=utf-8", b"<html><body>not found</body></html>"
        return route() if callable(route) else route

    def fetched(self, path: str) -> int:
        return sum(1 for _, p in self.log if p == path)

    def paths(self) -> list[str]:
        return [p for _, p in self.log]


class Server(BackgroundServer):
    def __init__(self, site: Site) -> None:
        self.site = site
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                status, ctype, body = outer.site.respond(self.path)
                if status == 0:  # a server that hangs up without answering
                    self.close_connection = True
                    return
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:  # noqa: ANN002
                pass

        super().__init__(Handler)



# -- the patterns site ------------------------------------------------------------------------
def _pager(links: list[tuple[str, str]]) -> str:
    return " ".join(f"<a href='{html.escape(h)}'>{html.escape(t)}</a>" for h, t in links)


def multipage_articles(rng: random.Random) -> dict[str, dict]:
    """Three 3-page articles, one per URL form; name -> {first, pages: [path...], markers: [[...]...]}"""
    out = {}
    forms = {
        "underscore": ["/mp/100.html", "/mp/100_2.html", "/mp/100_3.html"],
        "query": ["/mq/200.html", "/mq/200.html?page=2", "/mq/200.html?page=3"],
        "dash": ["/md/300.html", "/md/300-2.html", "/md/300-3.html"],
    }
    for name, pages in forms.items():
        markers = [[f"MP-{name}-{i + 1}-{k}" for k in range(3)] for i in range(len(pages))]
        out[name] = {"first": pages[0], "pages": pages, "markers": markers,
                     "paragraphs": [[paragraph(rng, m) for m in ms] for ms in markers]}
    return out


def build_patterns_site(crawl_delay: float | None = None) -> tuple[Site, dict]:
    """The site of every pattern but discovery's; returns (site, facts the tests check)."""
    rng = random.Random(22)
    site = Site()
    robots = "User-agent: *\nDisallow: /private/\n"
    if crawl_delay:
        robots += f"Crawl-delay: {crawl_delay:g}\n"
    site.add("/robots.txt", robots, "text/plain")
    facts: dict = {}

    # multi-page articles: numbered links + 下一页 (underscore, query); 下一页 only (dash)
    mp = multipage_articles(rng)
    for name, art in mp.items():
        pages = art["pages"]
        for i, path in enumerate(pages):
            if name == "dash":
                links = [(pages[i + 1], "下一页")] if i + 1 < len(pages) else []
                if i:
                    links.insert(0, (pages[i - 1], "上一页"))
            else:
                links = [(p, str(j + 1)) for j, p in enumerate(pages)]
                if i + 1 < len(pages):
                    links.append((pages[i + 1], "下一页"))
            links.append(("/mp/999.html", "下一篇"))  # the next *article*: never a page of this one
            site.add(path, article_html(f"多页文章{name}", art["paragraphs"][i], pager=_pager(links)))
    facts["multipage"] = mp
    # a list page that also links a continuation page directly
    site.add("/mp-list.html", page_html("多页列表", "<ul>" + "".join(
        f"<li><a href='{a['first']}'>多页文章{n}</a></li>" for n, a in mp.items())
        + "<li><a href='/mp/100_2.html'>多页文章underscore（第二页）</a></li>"
        + "<li><a href='/mr/400.html'>无尽分页</a></li><li><a href='/mb/600.html'>缺页文章</a></li></ul>"))
    site.add("/mp/999.html", article_html("另一篇文章", [paragraph(rng, "OTHER-999")]))

    # a runaway pager (every page links the next, forever) and a pager whose page 2 fails
    def endless(n: int) -> str:
        nxt = f"/mr/400_{n + 1}.html"
        return article_html("无尽分页", [paragraph(random.Random(n), f"RUN-{n}")],
                            pager=_pager([("/mr/400.html", "1"), (nxt, str(n + 1)), (nxt, "下一页")]))
    site.add("/mr/400.html", endless(1))
    for n in range(2, 200):
        site.add(f"/mr/400_{n}.html", endless(n))
    broken = ["/mb/600.html", "/mb/600_2.html", "/mb/600_3.html"]
    for i, path in enumerate(broken):
        links = [(p, str(j + 1)) for j, p in enumerate(broken)]
        site.add(path, article_html("缺页文章", [paragraph(rng, f"BROKEN-{i + 1}")], pager=_pager(links)),
                 status=500 if i == 1 else 200)
    facts["runaway"], facts["broken"] = "/mr/400.html", broken

    # a JSON list API: 3 pages of 4 items, then an empty page
    api_items = []
    for page in range(1, 5):
        items = [] if page == 4 else [
            {"link": f"/jl/{500 + (page - 1) * 4 + k}.html", "title": f"接口文章{(page - 1) * 4 + k}",
             "ts": 1793000000 + page * 100 + k} for k in range(4)]
        api_items.extend(items)
        site.add(f"/api/news?page={page}", json.dumps({"code": 0, "data": {"list": items}}),
                 "application/json")
    for item in api_items:
        n = item["link"].split("/")[-1].split(".")[0]
        site.add(item["link"], article_html(item["title"], [paragraph(rng, f"JL-{n}-{k}") for k in range(2)]))
    facts["api"] = [i["link"] for i in api_items]

    # JavaScript: an article whose body a script inserts, a list a script builds
    js_markers = [f"JS-BODY-{k}" for k in range(4)]
    js_paras = [paragraph(rng, m) for m in js_markers]
    site.add("/js/article/1.json", json.dumps({"paragraphs": js_paras}, ensure_ascii=False),
             "application/json; charset=utf-8")
    script = ("<script>fetch('/js/article/1.json').then(r=>r.json()).then(d=>{const c="
              "document.getElementById('content');d.paragraphs.forEach(t=>{const p="
              "document.createElement('p');p.textContent=t;c.appendChild(p);});});</script>")
    site.add("/js/article/1.html", page_html("脚本文章", "<div class='article'><h1>脚本写入正文的文章</h1>"
                                             "<div id='content'></div></div>", script=script))
    js_items = [f"/js/item/{n}.html" for n in (2, 3, 4)]
    for n, path in zip((2, 3, 4), js_items, strict=True):
        site.add(path, article_html(f"脚本列表文章{n}", [paragraph(rng, f"JSL-{n}-{k}") for k in range(2)]))
    js_list = ["/js/article/1.html", *js_items]
    site.add("/js/list.json", json.dumps(js_list), "application/json")
    list_script = ("<script>fetch('/js/list.json').then(r=>r.json()).then(d=>{const u="
                   "document.getElementById('list');d.forEach((h,i)=>{const a=document.createElement('a');"
                   "a.href=h;a.textContent='脚本列表文章'+i;const li=document.createElement('li');"
                   "li.appendChild(a);u.appendChild(li);});});</script>")
    site.add("/js/list.html", page_html("脚本列表", "<ul id='list'></ul>", script=list_script))
    site.add("/js/hangup.html", b"", status=0)
    site.add("/js/always-list.html", page_html("列表", "<ul><li><a href='/js/hangup.html'>挂断的文章标题很长很长</a></li>"
                                               "<li><a href='/js/item/2.html'>脚本列表文章二的标题</a></li></ul>"))
    facts["js"] = {"article": "/js/article/1.html", "markers": js_markers, "list": js_list}
    return site, facts


# -- generated sites for discovery -----------------------------------------------------------
CATEGORIES = [("tech", "科技"), ("biz", "商业"), ("life", "生活")]
TAGS = ["zhibo", "gongying", "wuliu", "kefu", "xuanpin"]


@dataclass
class GeneratedSite:
    site: Site
    articles: set[str]  # paths of every article
    feed: str
    sitemap_index: str


def _scheme_urls(scheme: str, rng: random.Random):  # noqa: ANN202
    """URL builders for one scheme: article(id, date), category(i, page), tag(i)."""
    if scheme == "dated":
        return (lambda aid, d: f"/{d[:4]}/{d[4:6]}/{d[6:]}/{aid}.html",
                lambda c, p: f"/news/{CATEGORIES[c][0]}/" if p == 1 else f"/news/{CATEGORIES[c][0]}/index_{p}.html",
                lambda t: f"/tag/{TAGS[t]}.html")
    if scheme == "numeric":
        return (lambda aid, d: f"/a/{aid}",
                lambda c, p: f"/c/{c + 1}" if p == 1 else f"/c/{c + 1}?page={p}",
                lambda t: f"/t/{t + 1}")
    return (lambda aid, d: f"/show.php?id={aid}",
            lambda c, p: f"/list.php?cat={c + 1}&page={p}",
            lambda t: f"/tag.php?name={TAGS[t]}")


def build_generated_site(scheme: str, n_articles: int = 60, per_page: int = 8,
                         js_bodies: bool = False) -> GeneratedSite:
    """A news site of ``n_articles`` under one URL ``scheme`` (dated | numeric | query):
    homepage with nav and the latest articles, paginated category lists, tag pages, static
    pages, an RSS feed and a sitemap index (articles in two child sitemaps, the other pages in
    a third). The feed is linked from <head> (dated, query) or only at /feed (numeric); the
    index is named in robots.txt (dated, query) or only at /sitemap.xml (numeric)."""
    rng = random.Random(f"gen-{scheme}")
    art_url, cat_url, tag_url = _scheme_urls(scheme, rng)
    site = Site()
    ids = rng.sample(range(10000, 99999), n_articles)
    arts = []
    for i, aid in enumerate(ids):
        date = f"2026{1 + i % 11:02d}{1 + i % 27:02d}"
        arts.append({"id": aid, "url": art_url(aid, date), "cat": i % 3, "tag": i % len(TAGS),
                     "title": f"{rng.choice(SUBJECTS)}{rng.choice(VERBS)}{rng.choice(OBJECTS)}的第{i}篇报道",
                     "paras": [paragraph(rng, f"G-{scheme}-{aid}-{k}") for k in range(3)]})
    nav = "".join(f" <a href='{html.escape(cat_url(c, 1))}'>{name}</a>" for c, (_, name) in enumerate(CATEGORIES))
    footer_links = "<a href='/about.html'>关于</a> <a href='/contact.html'>联系</a>"
    feed_path = "/feed" if scheme == "numeric" else "/rss.xml"
    head = "" if scheme == "numeric" else f"<link rel='alternate' type='application/rss+xml' href='{feed_path}'>"

    def li(a: dict) -> str:
        return f"<li><a href='{html.escape(a['url'])}'>{html.escape(a['title'])}</a></li>"

    site.add("/", page_html("首页", "<ul class='latest'>" + "".join(li(a) for a in arts[:10]) + "</ul>"
                            + f"<div class='foot'>{footer_links}</div>", head=head, nav=nav))
    for c, (_, name) in enumerate(CATEGORIES):
        members = [a for a in arts if a["cat"] == c]
        pages = [members[i:i + per_page] for i in range(0, len(members), per_page)]
        for p, chunk in enumerate(pages, 1):
            pager = " ".join(f"<a href='{html.escape(cat_url(c, q))}'>{q}</a>" for q in range(1, len(pages) + 1))
            if p < len(pages):
                pager += f" <a href='{html.escape(cat_url(c, p + 1))}'>下一页</a>"
            site.add(cat_url(c, p), page_html(name, "<ul>" + "".join(li(a) for a in chunk) + "</ul>"
                                              + f"<div class='pages'>{pager}</div>", nav=nav))
    for t, _ in enumerate(TAGS):
        site.add(tag_url(t), page_html(f"标签{t}", "<ul>" + "".join(li(a) for a in arts if a["tag"] == t)[:2000]
                                       + "</ul>", nav=nav))
    site.add("/about.html", page_html("关于我们", "<p>测试资讯网是一个用于测试的站点。</p>", nav=nav))
    site.add("/contact.html", page_html("联系我们", "<p>邮箱：test@example.com</p>", nav=nav))
    for i, a in enumerate(arts):
        related = "".join(li(b) for b in arts[i + 1:i + 4])
        extra = (f"<div class='tags'><a href='{html.escape(tag_url(a['tag']))}'>{TAGS[a['tag']]}</a></div>"
                 f"<div class='related'><ul>{related}</ul></div>")
        page = article_html(a["title"], [] if js_bodies else a["paras"])
        if js_bodies:  # the body is in the page only as data a script writes out
            page = page.replace("</body>", "<script>const d=" + json.dumps(a["paras"], ensure_ascii=False)
                                + ";const c=document.querySelector('.content');d.forEach(t=>{const p="
                                "document.createElement('p');p.textContent=t;c.appendChild(p);});</script></body>")
        site.add(a["url"], page.replace("<div class='footer'>", extra + "<div class='footer'>"))
    base = "{base}"
    items = "".join(f"<item><title>{html.escape(a['title'])}</title><link>{base}{html.escape(a['url'])}</link></item>"
                    for a in arts[:15])
    feed = f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>测试</title>{items}</channel></rss>"
    ns = "xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'"

    def urlset(paths: list[str]) -> str:
        return f"<?xml version='1.0'?><urlset {ns}>" + "".join(
            f"<url><loc>{base}{html.escape(p)}</loc></url>" for p in paths) + "</urlset>"

    half = len(arts) // 2
    children = {"/sitemap-posts-1.xml": [a["url"] for a in arts[:half]],
                "/sitemap-posts-2.xml": [a["url"] for a in arts[half:]],
                "/sitemap-pages.xml": ["/", "/about.html", "/contact.html"]
                + [cat_url(c, 1) for c in range(3)] + [tag_url(t) for t in range(len(TAGS))]}
    index_path = "/sitemap.xml" if scheme == "numeric" else "/sitemap_index.xml"
    index = f"<?xml version='1.0'?><sitemapindex {ns}>" + "".join(
        f"<sitemap><loc>{base}{p}</loc></sitemap>" for p in children) + "</sitemapindex>"
    robots = "User-agent: *\nDisallow: /admin/\n"
    if scheme != "numeric":
        robots += f"Sitemap: {base}{index_path}\n"
    templated = {feed_path: (feed, "application/rss+xml; charset=utf-8"), index_path: (index, "application/xml"),
                 "/robots.txt": (robots, "text/plain"),
                 **{p: (urlset(v), "application/xml") for p, v in children.items()}}
    gen = GeneratedSite(site, {a["url"] for a in arts}, feed_path, index_path)
    gen.templated = templated  # filled with the server's address by serve_generated
    return gen


def serve_generated(gen: GeneratedSite) -> Server:
    """A server for ``gen`` whose feed, sitemaps and robots.txt carry its own address."""
    server = Server(gen.site)
    for path, (body, ctype) in gen.templated.items():
        gen.site.add(path, body.replace("{base}", server.base_url), ctype)
    return server
