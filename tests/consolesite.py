"""Shared by the console tests: a demo site that also serves a hostile article page, an app
over a fresh store with one user per role, and a login helper."""

from __future__ import annotations

from daihuo.demo.demo_server import DemoSite

PASSWORDS = {"ana": "analyst password", "ed": "editor password", "adm": "admin password!"}
ROLE_OF = {"ana": "analyst", "ed": "editor", "adm": "admin"}

# An article page written for these tests: live markup and markup-looking text that must
# never run or turn into elements in the console.
HOSTILE_PATH = "/news/6666.html"
HOSTILE = """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">
<title>抖音快手联合整治直播间诱导交易 - 直播电商观察网</title>
<script>window.__pwned = 'head'; alert('head');</script></head>
<body onload="window.__pwned='onload'">
<div class="nav"><a href="/">首页</a> <a href="/list_2.html">行业资讯</a></div>
<div class="article"><h1>抖音快手联合整治直播间诱导交易</h1>
<div class="info">发布时间:2026-03-21 10:15:00 来源:直播电商观察网</div>
<div class="content">
<p>抖音和快手近日同时发布公告,对直播间里引导用户私下转账、绕开平台交易的行为开展专项整治,首批处理了一百多个违规账号。</p>
<script>window.__pwned = 'body'; alert('body');</script>
<p><img src="/nope.png" onerror="window.__pwned='onerror'; alert('onerror')">平台提醒消费者,主播在直播间口播的私人联系方式不受平台保障,发生纠纷时维权难度很大。</p>
<p>有商家在商品标题里夹带&lt;img src=x onerror=alert(3)&gt;一类的字符试图绕过审核,这些内容会被系统自动拦截。</p>
<p>如发现违规直播间,可以<a href="javascript:window.__pwned='link';alert('link')">一键举报</a>,也可以向当地市场监管部门反映。</p>
<p>业内人士表示,随着监管趋严,依靠私域导流赚快钱的空间正在收窄,合规经营的品牌自播会更受平台青睐。</p>
</div></div></body></html>"""


class HostileDemoSite(DemoSite):
    """The bundled demo site plus the hostile page."""

    def respond(self, path: str, base: str, at: float | None = None) -> tuple[int, str, bytes]:
        if path.split("?", 1)[0] == HOSTILE_PATH:
            with self._lock:
                self.requests.append((0.0, path))
            return 200, "text/html; charset=utf-8", HOSTILE.encode()
        return super().respond(path, base, at)


def add_users(engine) -> None:  # noqa: ANN001
    from daihuo.web.accounts import create_user

    for name, password in PASSWORDS.items():
        create_user(engine, name, password, ROLE_OF[name])


def login(client, name: str) -> str:  # noqa: ANN001
    """Log ``client`` in as ``name``; returns the session's CSRF token."""
    r = client.post("/api/auth/login", json={"name": name, "password": PASSWORDS[name]})
    assert r.status_code == 200, r.text
    return r.json()["csrf_token"]
