"""Tiny local HTTP servers for the network-guard tests: ``Canary`` (on 127.0.0.2 unless told,
an internal address nobody allowed) counts every request it gets; ``Pages`` (on 127.0.0.1)
serves a fixed map of paths to (status, headers, body)."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler

from daihuo.demo.demo_server import BackgroundServer


class Pages(BackgroundServer):
    def __init__(self, routes: dict[str, tuple[int, dict, bytes]] | None = None,
                 host: str = "127.0.0.1", port: int = 0) -> None:
        self.routes = routes if routes is not None else {}
        self.hits: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                outer.hits.append(self.path)
                status, headers, body = outer.routes.get(self.path, (404, {}, b"not here"))
                self.send_response(status)
                for k, v in {"Content-Type": "text/html; charset=utf-8", **headers}.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_HEAD = do_GET  # noqa: N815

            def log_message(self, *args) -> None:  # noqa: ANN002
                pass

        super().__init__(Handler, host, port)
        self.host, self.port = host, self.httpd.server_address[1]

    def url(self, path: str = "/") -> str:
        return f"http://{self.host}:{self.port}{path}"



class Canary(Pages):
    """Answers every path with a page worth storing, so a fetch would show in the store."""

    def __init__(self, port: int = 0, host: str = "127.0.0.2") -> None:
        body = ("<html><head><title>内部机密页面</title></head><body><article><h1>内部机密页面</h1>"
                + "<p>这是一段只应在内网看到的文字，用来检验爬虫是否越界抓取了内部地址。</p>" * 8
                + "</article></body></html>").encode()
        super().__init__(host=host, port=port)
        self.routes = _Always((200, {}, body))


class _Always(dict):
    def __init__(self, answer: tuple[int, dict, bytes]) -> None:
        super().__init__()
        self.answer = answer

    def get(self, key, default=None):  # noqa: ANN001, ANN201
        return self.answer
