"""The console speaks Chinese: every console page (each GET route under /console/, with data,
as analyst, editor and admin), its error pages and its flash messages are rendered and every
visible text and user-facing attribute is checked. A text without any Chinese character that
holds an English word fails, unless the word is an identifier: a source/user/webhook name, a
URL, a cron expression or a code on the allow-list below."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import quote

import pytest
from consolesite import add_users, login
from fastapi.testclient import TestClient
from sitedata import make_store
from sqlalchemy import update

from daihuo.runs import cron as scheduler
from daihuo.runs import lifecycle as runs
from daihuo.runs import webhooks
from daihuo.web.app import create_app
from editorial import curation, rules
from storage.schedule_models import RunMeta
from storage.timestamps import now_utc

#: codes and identifiers that may stand alone in a Chinese UI
ALLOWED = {"daihuo", "cron", "csv", "json", "http", "https", "url", "webhook", "cidr", "pid", "ms",
           "asia", "shanghai", "gbk", "div", "article", "jieba", "api", "id", "utc", "svg", "js",
           "mon", "fri", "daily", "user", "add", "role", "editor", "nonsense"}
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
URL = re.compile(r"(?:https?|ftp)://\S+|/console/\S*|\S+\.(?:html|log|txt)\b")
WORD = re.compile(r"[A-Za-z][A-Za-z']+")
SHOWN_ATTRS = ("placeholder", "aria-label", "title", "alt", "data-confirm")


class Texts(HTMLParser):
    """Visible text nodes and user-facing attributes (not inside <code>, <pre>, <script>)."""

    def __init__(self) -> None:
        super().__init__()
        self.out: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):  # noqa: ANN001
        if tag in ("code", "pre", "script", "style"):
            self.skip += 1
        for key, value in attrs:
            if key in SHOWN_ATTRS and value:
                self.out.append(value)
        if tag == "input" and dict(attrs).get("type") in ("submit", "button"):
            self.out.append(dict(attrs).get("value") or "")

    def handle_endtag(self, tag):  # noqa: ANN001
        if tag in ("code", "pre", "script", "style") and self.skip:
            self.skip -= 1

    def handle_data(self, data):  # noqa: ANN001
        if not self.skip and data.strip():
            self.out.append(data.strip())


def english_messages(html: str, identifiers: set[str]) -> list[str]:
    """Texts with no Chinese character that still hold a word that is not an identifier."""
    parser = Texts()
    parser.feed(html)
    bad = []
    for text in parser.out:
        if CJK.search(text):
            continue
        rest = URL.sub(" ", text)
        for ident in sorted(identifiers, key=len, reverse=True):
            rest = rest.replace(ident, " ")
        words = [w for w in WORD.findall(rest) if w.lower() not in ALLOWED]
        if words:
            bad.append(text)
    return bad


@pytest.fixture(scope="module")
def newsroom(tmp_path_factory):
    """A store with articles, a repost story, decisions, rules, schedules, runs (one failed,
    one finished with errors, one failing its quality checks), a webhook with deliveries."""
    import os

    tmp = tmp_path_factory.mktemp("catalogue")
    old = os.environ.get("DAIHUO_HOME")
    os.environ["DAIHUO_HOME"] = str(tmp / "home")
    url = f"sqlite:///{tmp / 'console.sqlite'}"
    store, ids = make_store(url)
    engine = store.engine
    add_users(engine)
    first = sorted(ids.values())
    curation.approve(engine, first[0], "ed", "好稿")
    curation.reject(engine, first[2], "ed", "重复")
    curation.feature(engine, first[0], "ed")
    rules.add_rule(engine, "tier-a", "tier A and platform", "approve", "ed")
    scheduler.add_schedule(engine, "news-a", "*/30 * * * *", created_by="ed")
    late = scheduler.add_schedule(engine, "news-b", "0 8 * * *", created_by="ed")
    from storage.schedule_models import Schedule

    with engine.begin() as conn:  # a fire the scheduler missed: the source is overdue
        conn.execute(update(Schedule).where(Schedule.id == late.id)
                     .values(next_run_at=now_utc().replace(year=now_utc().year - 1),
                             last_skip="2026-03-01T01:00:00+00:00 skipped: source 'news-b' is being "
                                       "crawled by run #7"))
    failed = runs.create_run(engine, "news-a", "manual")
    runs.finish_run(engine, failed, "failed", error="ValueError: layout changed")
    noisy = runs.create_run(engine, "news-b", "schedule")
    runs.finish_run(engine, noisy, "finished")
    checked = runs.create_run(engine, "news-c", "manual")
    runs.finish_run(engine, checked, "finished")
    from storage.models import CrawlRun

    with engine.begin() as conn:
        conn.execute(update(CrawlRun).where(CrawlRun.id == noisy).values(
            stats={"downloader/request_count": 10, "response_received_count": 8, "log_count/ERROR": 2,
                   "daihuo/stored": 3, "daihuo/dropped": 1, "daihuo/dropped/unchanged": 1,
                   "finish_reason": "finished"}))
        conn.execute(update(RunMeta).where(RunMeta.run_id == checked).values(
            quality="failed", quality_report={"status": "failed", "checks": [
                {"name": "zero_items", "ok": False, "detail": "the crawl found no articles (x)"},
                {"name": "error_rate", "ok": True, "detail": "0% of requests or pages failed"}]}))
    from storage.models import RawPage

    with engine.begin() as conn:  # pages the noisy run could not fetch (the run page lists them)
        for page_url, status, err in (("https://b.example.org/n/404.html", 404, "failed (http): HTTP 404"),
                                 ("https://b.example.org/n/x.html", 0,
                                  "failed (connection): ConnectionRefusedError: Connection refused.")):
            conn.execute(RawPage.__table__.insert().values(
                run_id=noisy, url=page_url, status=status, fetched_at=now_utc(), headers={}, html_z=b"",
                error=err, error_stage="fetch"))
    hook = webhooks.add_webhook(engine, "ops-robot", "http://127.0.0.1:9/robot/send?access_token=abc123",
                                "dingtalk", "s3cret", actor="adm")
    webhooks.record_delivery(engine, hook.id, {"event": "run_failed", "run_id": failed}, "HTTP 500")
    webhooks.record_delivery(engine, hook.id, {"event": "test", "run_id": 0}, "ok")
    app = create_app(url)
    identifiers = {"news-a", "news-b", "news-c", "ana", "ed", "adm", "ops-robot", "tier-a",
                   "Asia/Shanghai", "A", "B", "C"}
    ctx = {"article": first[0], "source": "news-a", "run": noisy, "webhook": hook.id}
    yield app, identifiers, ctx
    store.close()
    if old is None:
        os.environ.pop("DAIHUO_HOME", None)
    else:
        os.environ["DAIHUO_HOME"] = old


def _routes(app):  # noqa: ANN001, ANN202
    """(path, methods) of every route, through included routers (FastAPI may keep those lazily)."""
    for route in app.routes:
        if hasattr(route, "effective_route_contexts"):
            for ctx in route.effective_route_contexts():
                yield ctx.path, ctx.methods
        else:
            yield getattr(route, "path", ""), getattr(route, "methods", None)


def _console_pages(app, ctx: dict) -> list[str]:
    """Every GET page under /console/, its path parameters filled with the fixture's data."""
    fill = {"article_id": ctx["article"], "name": ctx["source"], "run_id": ctx["run"],
            "webhook_id": ctx["webhook"], "listing_id": ctx.get("listing", 1)}
    pages = set()
    for path, methods in _routes(app):
        if not path.startswith("/console") or "GET" not in (methods or set()):
            continue
        if path.endswith((".js", ".csv", ".txt")) or "/static/" in path or path.endswith("/login"):
            continue
        for key, value in fill.items():
            path = path.replace("{" + key + "}", quote(str(value)))
        assert "{" not in path, f"no value for a parameter of {path}: add it to the fixture"
        pages.add(path)
    return sorted(pages)


@pytest.mark.parametrize("who", ["ana", "ed", "adm"])
def test_every_console_page_is_chinese(newsroom, who):
    app, identifiers, ctx = newsroom
    c = TestClient(app, follow_redirects=False)
    login(c, who)
    pages = _console_pages(app, ctx)
    assert {"/console/", "/console/webhooks", "/console/sources/news-a/history"} <= set(pages)
    seen = 0
    for path in pages + ["/console/search?q=快手", "/console/queue?status=", "/console/no-such-page",
                         "/console/runs/999999", "/console/articles/abc"]:
        r = c.get(path)
        assert r.status_code < 500, (path, r.status_code)
        if r.status_code in (200, 400, 403, 404, 422):
            assert "<html" in r.text, (path, r.status_code, r.text[:200])  # never a JSON body
            seen += 1
            assert english_messages(r.text, identifiers) == [], (who, path)
    assert seen >= 8
    if who != "ana":  # the run page lists its failed URLs, in Chinese
        run_page = c.get(f"/console/runs/{ctx['run']}").text
        assert "抓取失败(HTTP 错误):对方返回 HTTP 404" in run_page and "抓取失败(连接失败)" in run_page
    if who != "ana":  # a skipped fire is explained in Chinese on the schedules page
        assert "已跳过:来源 &#39;news-b&#39; 正在被运行 #7 抓取" in c.get("/console/schedules").text


def test_errors_and_flashes_are_chinese(newsroom):
    app, identifiers, ctx = newsroom
    c = TestClient(app, follow_redirects=True)
    csrf = login(c, "adm")
    answers = [
        c.post("/console/schedules", data={"csrf_token": csrf, "source": "news-a", "cron": "0 9 31 2 *"}),
        c.post("/console/schedules", data={"csrf_token": csrf, "source": "news-a", "cron": "x y"}),
        c.post("/console/schedules", data={"csrf_token": csrf, "source": "news-a", "cron": "* * * * *",
                                           "timezone": "Mars/Base"}),
        c.post("/console/rules", data={"csrf_token": csrf, "name": "bad", "condition": "tier Q"}),
        c.post("/console/rules", data={"csrf_token": csrf, "name": "tier-a", "condition": "tier A"}),
        c.post("/console/users", data={"csrf_token": csrf, "name": "x", "role": "analyst", "password": "short"}),
        c.post("/console/users/adm", data={"csrf_token": csrf, "op": "disable"}),
        c.post("/console/webhooks", data={"csrf_token": csrf, "name": "w", "url": "ftp://x/y"}),
        c.post(f"/console/articles/{ctx['article']}/decide", data={"csrf_token": csrf, "action": "unpublish"}),
        c.post(f"/console/articles/{ctx['article']}/decide", data={"csrf_token": csrf, "action": "approve"}),
        c.post("/console/queue/bulk", data={"csrf_token": csrf, "action": "reject", "ids": []}),
        c.post("/console/settings", data={"csrf_token": csrf, "allowed_networks": "not-a-net"}),
        c.post("/console/sources/no-such/run", data={"csrf_token": csrf}),
        c.post("/console/rules/tier-a", data={"csrf_token": csrf, "op": "disable"}),
        c.post("/console/schedules", data={"source": "news-a", "cron": "* * * * *"}),  # no CSRF token
    ]
    for r in answers:
        assert r.status_code < 500 and "<html" in r.text, (r.url, r.status_code)
        assert english_messages(r.text, identifiers) == [], r.url
        assert re.search(r'class="flash (ok|err)"|class="forbidden"', r.text), r.url
    assert "永远不会触发" in answers[0].text and "未知的时区" in answers[2].text
    assert "已通过" in answers[9].text and "下架需要填写原因" in answers[8].text


# An English phrase (three words or more in a row) inside a message that also holds Chinese:
# the catalogue's fallback "操作未完成:<English>" or a message that carried the user's own
# Chinese input past the catalogue. Quoted input, URLs and "code(中文)" pairs are not prose.
PHRASE = re.compile(r"[A-Za-z']+(?:[ ,;:]+[A-Za-z']+){2,}")
QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|“[^”]*”|&#39;[^&]*&#39;")
CODE_GLOSS = re.compile(r"[A-Za-z_]+(?=\([^)]*[\u4e00-\u9fff])|\([A-Za-z_]+\)")
FLASH = re.compile(r'<p class="(?:flash (?:ok|err)|detail|intro)"[^>]*>(.*?)</p>', re.S)


def english_in_messages(html: str) -> list[str]:
    """Flash, error and site messages that hold an English phrase (see PHRASE)."""
    bad = []
    for message in FLASH.findall(html):
        rest = CODE_GLOSS.sub(" ", QUOTED.sub(" ", URL.sub(" ", message)))
        if any(w.lower() not in ALLOWED for p in PHRASE.findall(rest) for w in WORD.findall(p)):
            bad.append(message)
    return bad


def test_bad_input_is_answered_in_chinese(newsroom):
    """Tampered or mistyped values in every kind of console form and filter: never a 500,
    always a Chinese message saying what to change (no English left over from the layers
    below, including messages that quote the user's own Chinese input)."""
    app, identifiers, ctx = newsroom
    c = TestClient(app, follow_redirects=True)
    csrf = login(c, "adm")
    huge = "9" * 30
    src = {"csrf_token": csrf, "kind": "news", "tier": "B", "start_urls": "https://1.2.3.4/n/"}
    answers = {
        "kind": c.post("/console/sources", data={**src, "name": "s1", "kind": "bogus"}),
        "regex": c.post("/console/sources", data={**src, "name": "s2", "follow": "(["}),
        "name": c.post("/console/sources", data={**src, "name": "Has Spaces"}),
        "delay": c.post("/console/sources", data={**src, "name": "s3", "delay": "abc"}),
        "concurrency": c.post("/console/sources", data={**src, "name": "s4", "concurrency": "1.5"}),
        "start": c.post("/console/sources", data={**src, "name": "s5", "start_urls": "not a url"}),
        "ids-huge": c.post("/console/queue/bulk", data={"csrf_token": csrf, "action": "approve", "ids": [huge]}),
        "ids-text": c.post("/console/queue/bulk", data={"csrf_token": csrf, "action": "approve", "ids": ["abc"]}),
        "position": c.post("/console/rules", data={"csrf_token": csrf, "name": "p1", "condition": "tier A",
                                                   "position": huge}),
        "platform-rule": c.post("/console/rules", data={"csrf_token": csrf, "name": "p2",
                                                        "condition": "platform 火星台"}),
        "role": c.post("/console/users", data={"csrf_token": csrf, "name": "u1", "role": "boss",
                                               "password": "long enough password"}),
        "title": c.post(f"/console/articles/{ctx['article']}/edit", data={"csrf_token": csrf, "title": "长" * 301}),
        "queue-status": c.get("/console/queue?status=xxx"),
        "queue-platform": c.get("/console/queue?platform=火星台"),
        "queue-tier": c.get("/console/queue?tier=Q"),
        "queue-flag": c.get("/console/queue?flag=no_such_flag"),
        "runs-source": c.get("/console/runs?source=nosuch"),
        "runs-status": c.get("/console/runs?status=bogus"),
        "schedules-source": c.get("/console/schedules?source=nosuch"),
        "listings-status": c.get("/console/listings?status=bogus"),
        "listing-huge": c.get(f"/console/listings/{huge}"),
        "search-status": c.get("/console/search?status=bogus"),
        "search-words": c.get("/console/search?q=((("),
        "charset": c.post("/console/sources", data={**src, "name": "s6", "charset": "nonsense-cs"}),
        "page": c.get("/console/queue?page=0"),
        "dates": c.get("/console/trends?since=2026-03-10&until=2026-03-01"),
        "search-dates": c.get("/console/search?platform=快手&since=2026-03-10&until=2026-03-01"),
        "form-address": c.get("/console/sources/news-a/test"),  # a form's answer, opened again
        "note": c.post("/console/sources", data={**src, "name": "s7", "note": "长" * 2001}),
        "condition": c.post("/console/rules", data={"csrf_token": csrf, "name": "p3",
                                                    "condition": "title contains " + "长" * 1000}),
        "cron": c.post("/console/schedules", data={"csrf_token": csrf, "source": "news-a", "cron": "61 * * * *"}),
        "hook": c.post("/console/webhooks", data={"csrf_token": csrf, "name": "lan-hook",
                                                  "url": "http://192.168.1.9/hook", "kind": "json"}),
        "reason": c.post(f"/console/articles/{ctx['article']}/decide",
                         data={"csrf_token": csrf, "action": "reject", "reason": "长" * 501}),
        "when": c.post(f"/console/articles/{ctx['article']}/decide",
                       data={"csrf_token": csrf, "action": "approve", "publish_at": "明天早上"}),
    }
    for what, r in answers.items():
        assert r.status_code < 500 and "<html" in r.text, (what, r.status_code)
        assert english_messages(r.text, identifiers | {"not a url", "lan-hook"}) == [], what  # the form keeps the input
        assert english_in_messages(r.text) == [], what
        assert re.search(r'class="flash err"|class="detail"', r.text), what  # the page says what went wrong
    public = c.post("/console/webhooks", data={"csrf_token": csrf, "name": "pub-hook", "url": "https://1.2.3.4/h"})
    assert "已添加通知 pub-hook" in public.text and "内网地址" not in public.text
    assert "正则表达式" in answers["regex"].text and "只能用小写字母" in answers["name"].text
    assert "不是数字" in answers["delay"].text and "不是整数" in answers["concurrency"].text
    assert "选中的文章编号" in answers["ids-huge"].text and "位置" in answers["position"].text
    assert "未知的平台“火星台”" in answers["platform-rule"].text
    assert "最多 300 个字" in answers["title"].text
    assert "没有相近的已知值" in answers["queue-platform"].text and "未知的来源“nosuch”" in answers["runs-source"].text
    assert "没有可检索的词" in answers["search-words"].text
    assert "未知的字符集" in answers["charset"].text and "不能小于 1" in answers["page"].text
    assert "晚于截止日期" in answers["dates"].text and "晚于截止日期" in answers["search-dates"].text
    assert "没有带 no_such_flag 标记的文章" in answers["queue-flag"].text
    assert "最多 2000 个字" in answers["note"].text and "最多 1000 个字" in answers["condition"].text
    assert "例如 0 8 * * * 是每天 8 点" in answers["cron"].text  # what a valid one looks like
    assert "已添加通知 lan-hook" in answers["hook"].text and "192.168.1.9 是内网地址" in answers["hook"].text
    assert "原因最多 500 个字" in answers["reason"].text and "2026-03-01T08:00" in answers["when"].text
    assert answers["form-address"].status_code == 405 and "只接受表单提交" in answers["form-address"].text


def test_the_public_site_answers_bad_addresses_in_chinese_html(newsroom):
    """A malformed or unknown site address is the site's own Chinese page, never FastAPI's
    JSON; the API keeps its JSON answers."""
    app, identifiers, _ = newsroom
    c = TestClient(app)
    for path, status in (("/articles/abc/", 422), ("/page/abc/", 422), ("/search/?q=直播&page=0", 422),
                         ("/search/?q=" + "x" * 2001, 422), ("/no-such-page", 404), ("/search/?q=(((", 200)):
        r = c.get(path)
        assert r.status_code == status and r.headers["content-type"].startswith("text/html"), path
        assert english_in_messages(r.text) == [] and '"detail"' not in r.text, path
    assert "页码要写成 1 及以上的整数" in c.get("/page/abc/").text
    assert "没有可检索的词" in c.get("/search/?q=(((").text
    assert c.get("/favicon.ico").status_code == 204  # no 404 in every reader's browser console
    api = c.get("/api/no-such")
    assert api.status_code == 404 and api.json() == {"detail": "Not Found"}


def test_an_analyst_is_not_linked_to_pages_of_other_roles(newsroom):
    app, _, ctx = newsroom
    c = TestClient(app)
    login(c, "ana")
    page = c.get(f"/console/articles/{ctx['article']}").text
    assert "/console/runs/" not in page


def test_messages_with_chinese_input_are_still_translated():
    from daihuo.web.console import messages_zh

    quoted = messages_zh.error("clause 'platform 火星台': unknown platform '火星台'; no known platform is close "
                               "(see the facet counts for the values in use)")
    assert quoted.startswith("条件 'platform 火星台':未知的平台“火星台”") and "facet" not in quoted
    assert messages_zh.error("unknown topic '带货x'; did you mean 带货 or 直播?") == "未知的话题“带货x”,您是否要找:带货、直播?"
    assert messages_zh.error("用户名或密码错误 (wrong name or password)") == "用户名或密码错误"
    assert messages_zh.error("已保存") == "已保存"  # already Chinese
    assert messages_zh.error("something new") == "操作未完成:something new"  # untranslated: still marked
    assert messages_zh.reason("edited summary, title") == "修改了摘要和标题"
    assert "未知的字符集 'x-nope'" in messages_zh.error(  # a run refused at start quotes the source's check
        "could not start: stored source 's1' 's1': field 'charset': unknown charset 'x-nope' (e.g. utf-8)")


def test_the_checker_catches_english():
    assert english_messages("<p>3 new 审核</p><p>0 approved</p>", set()) == ["0 approved"]
    assert english_messages('<button data-confirm="Really delete?">删</button>', set()) == ["Really delete?"]
    assert english_messages("<td>news-a</td><td>https://x.example/a</td><code>tier A and x</code>",
                            {"news-a"}) == []
    assert english_in_messages('<p class="flash err">操作未完成:invalid literal for int()</p>') != []
    assert english_in_messages('<p class="flash err">角色只能是 analyst(分析员)、editor(编辑)</p>') == []
    assert english_in_messages("<p class=\"flash err\">不是地址:'not a url'</p>") == []
