"""A local webhook receiver on 127.0.0.1 for the quality and webhook tests: records every
POST (path, query, JSON body) and answers with a configurable JSON reply."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from daihuo.demo.demo_server import BackgroundServer


class Receiver(BackgroundServer):
    def __init__(self, reply: dict | None = None, status: int = 200) -> None:
        self.posts: list[dict] = []
        self.reply, self.status = reply or {"errcode": 0, "errmsg": "ok"}, status
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                parts = urlsplit(self.path)
                outer.posts.append({"path": parts.path, "query": parse_qs(parts.query),
                                    "content_type": self.headers.get("Content-Type"),
                                    "json": json.loads(body.decode("utf-8"))})
                data = json.dumps(outer.reply).encode()
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:  # noqa: ANN002
                pass

        super().__init__(Handler)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

