"""The network guard for the browser: a forward proxy every connection of Chromium goes through.

Chromium (crawlers/rendering.py) is launched with ``--proxy-server`` pointing here and
``--proxy-bypass-list=<-loopback>`` (without it Chromium sends localhost and link-local
addresses around any proxy), so the page itself, every redirect hop the browser follows,
its scripts, XHR/fetch, iframes and WebSockets all arrive as a proxy request: a plain
``GET http://host:port/path`` or a ``CONNECT host:port`` tunnel (https, wss). For each one
the proxy resolves the host once (or takes the address the downloader's guard already pinned
for it, crawlers/netguard.py), applies editorial/network_policy.py and opens the TCP
connection to that checked address itself; Chromium never resolves a name or connects
anywhere but here, so a name that rebinds between the check and the connect gains nothing.
A tunnel carries TLS end to end: the certificate is still checked against the name.

A refused request is answered ``403`` with the ``X-Daihuo-Netguard`` header (a plain http
request: the page sees it as the response; crawlers/rendering.py turns a refused navigation
into a failed fetch) or a failed tunnel (https: Chromium reports a network error), and is
reported through ``on_refused`` (the middleware counts it in the stats). A host that does not
resolve or answer is no refusal: it gets a ``502`` marked ``unreachable`` the same way (the
proxy's own answer is never taken for the site's page), and is not counted; Chromium's own
background requests (component updates, account checks) land there on an offline machine.

Why a proxy of our own and not a route in the page (Playwright's ``page.route``): routes do
not see redirect hops, service workers or WebSockets, and a route that continues a request
leaves the connection to Chromium's own resolver. The proxy runs on its own thread and
event loop, so a busy Scrapy reactor does not stall the browser's page loads.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import socket
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from editorial import network_policy as netpolicy
from editorial.network_policy import AddressRefused, IPNetwork, Resolver

log = logging.getLogger(__name__)

HEADER = "X-Daihuo-Netguard"
#: the reason the proxy's answers give when the site, not the guard, failed the request
UNREACHABLE = "unreachable"
_HEAD_LIMIT = 64 * 1024  # a request or response head larger than this is not a browser's
#: port -> the proxy bound for a crawl's browser: settings carry the port (they are deep-copied,
#: a socket is not), the crawl's NetGuardMiddleware finds the proxy here and starts it
PROXIES: dict[int, GuardProxy] = {}
_HOP_HEADERS = {b"connection", b"keep-alive", b"proxy-connection", b"proxy-authorization",
                b"proxy-authenticate", b"te", b"trailer", b"upgrade"}


class GuardProxy:
    """Binds 127.0.0.1 on a free port at once (the port goes into Chromium's launch options
    before the crawl starts); serves only after :meth:`start`. Until then a connection is
    refused, so a browser launched without a running guard fetches nothing (fail closed).

    ``allowed`` (the allowed networks) is replaced by the owner as the admin's setting
    changes; ``pins`` returns an address the downloader's guard already checked for a host;
    ``on_refused(url, reason, detail)`` is called on the proxy's thread."""

    def __init__(self, resolver: Resolver | None = None, connect_timeout: float = 10.0,
                 idle_timeout: float = 120.0) -> None:
        self.resolver = resolver or netpolicy.system_resolver
        self.connect_timeout, self.idle_timeout = connect_timeout, idle_timeout
        self.allowed: list[IPNetwork] = []
        self.pins: Callable[[str], str | None] = lambda host: None
        self.on_refused: Callable[[str, str, str], None] = lambda url, reason, detail: None
        #: a refusal response carries this token, so a site cannot fake one
        self.token = secrets.token_hex(8)
        self.dns_ttl = 60.0
        self._dns: dict[str, tuple[float, list[str]]] = {}
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self.port: int = self._sock.getsockname()[1]
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        self._sock.listen(128)
        self._sock.setblocking(False)
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), name="daihuo-guard-proxy",
                                        daemon=True)
        self._thread.start()
        ready.wait(10)

    def _run(self, ready: threading.Event) -> None:
        loop = self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        server = loop.run_until_complete(asyncio.start_server(self._handle, sock=self._sock,
                                                              limit=_HEAD_LIMIT))
        ready.set()
        try:
            loop.run_forever()
        finally:
            server.close()
            for task in asyncio.all_tasks(loop):
                task.cancel()
            loop.run_until_complete(asyncio.sleep(0))
            loop.close()

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._thread = None
        self._sock.close()

    # -- the policy --------------------------------------------------------------------------
    async def checked(self, host: str) -> str:
        """The address to connect to for ``host``, or AddressRefused."""
        host = host.strip("[]").rstrip(".").lower()
        if not host:
            raise AddressRefused("the request has no host", "no-host")
        addrs: list[str] = []
        if netpolicy.ip_literal(host) is None:
            pinned = self.pins(host)
            cached = self._dns.get(host)
            if pinned:
                addrs = [pinned]  # the address the downloader checked: the same server
            elif cached and time.monotonic() - cached[0] < self.dns_ttl:
                addrs = cached[1]
            else:
                loop = asyncio.get_running_loop()
                try:
                    addrs = await loop.run_in_executor(None, self.resolver, host)
                except AddressRefused:
                    raise
                except Exception as exc:  # noqa: BLE001 - any resolver failure: no address
                    raise AddressRefused(f"host {host!r} does not resolve ({exc})", "unresolvable") from None
                if len(self._dns) > 10_000:  # a bound, not a tuning
                    self._dns.clear()
                self._dns[host] = (time.monotonic(), addrs)
        return str(netpolicy.checked_address(host, self.allowed, resolver=lambda _h: addrs))

    def _refused(self, url: str, exc: AddressRefused) -> None:
        log.warning("network guard refused the browser's request for %s: %s", url, exc)
        try:
            self.on_refused(url, exc.reason, str(exc))
        except Exception:  # noqa: BLE001 - counting must never break the proxy
            log.exception("network guard: counting a refusal failed")

    # -- one client connection: one request ----------------------------------------------------
    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            try:
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), self.idle_timeout)
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
                return
            line, _, rest = head.partition(b"\r\n")
            try:
                method, target, version = line.decode("latin-1").split(" ")
            except ValueError:
                await self._answer(writer, 400, "bad request line")
                return
            if method == "CONNECT":
                await self._tunnel(target, reader, writer)
            else:
                await self._forward(method, target, version, rest, reader, writer)
        except (ConnectionError, OSError, asyncio.CancelledError):
            pass
        except Exception:  # noqa: BLE001 - one broken exchange must not stop the proxy
            log.exception("network guard proxy: a request failed")
        finally:
            writer.close()

    async def _answer(self, writer: asyncio.StreamWriter, status: int, text: str,
                      reason: str = "") -> None:
        body = text.encode("utf-8")
        guard = f"{HEADER}: {self.token} {reason}\r\n" if reason else ""
        writer.write((f"HTTP/1.1 {status} {'Forbidden' if status == 403 else 'Bad Gateway'}\r\n"
                      f"{guard}Content-Type: text/plain; charset=utf-8\r\n"
                      f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body)
        await writer.drain()

    async def _open(self, url: str, host: str, port: int, writer: asyncio.StreamWriter):  # noqa: ANN202
        """(reader, writer) to the checked address of host, or None once answered."""
        try:
            address = await self.checked(host)
        except AddressRefused as exc:
            if exc.reason == "unresolvable":  # no address, nothing refused: a failed fetch, as
                log.debug("browser: %s", exc)  # Chromium's own lookup would have failed
                await self._answer(writer, 502, str(exc), UNREACHABLE)
                return None
            self._refused(url, exc)
            await self._answer(writer, 403, f"network guard: {exc}", exc.reason)
            return None
        try:
            return await asyncio.wait_for(asyncio.open_connection(address, port, limit=_HEAD_LIMIT),
                                          self.connect_timeout)
        except (OSError, TimeoutError) as exc:
            await self._answer(writer, 502, f"cannot connect to {host}:{port} ({type(exc).__name__})",
                               UNREACHABLE)
            return None

    async def _tunnel(self, target: str, reader: asyncio.StreamReader,
                      writer: asyncio.StreamWriter) -> None:
        parts = urlsplit(f"//{target}")
        try:
            host, port = parts.hostname or "", parts.port or 443
        except ValueError:
            await self._answer(writer, 400, "bad CONNECT target")
            return
        opened = await self._open(f"https://{target}/", host, port, writer)
        if opened is None:
            return
        up_reader, up_writer = opened
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        await self._pipe_both(reader, writer, up_reader, up_writer)

    async def _forward(self, method: str, target: str, version: str, headers: bytes,
                       reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        parts = urlsplit(target)
        try:
            host, port = parts.hostname or "", parts.port or 80
        except ValueError:
            await self._answer(writer, 400, "bad request target")
            return
        if parts.scheme != "http":  # https goes through CONNECT; nothing else is fetched
            self._refused(target, AddressRefused(f"only http(s) is fetched, not {parts.scheme}:", "scheme"))
            await self._answer(writer, 403, "network guard: only http(s) is fetched", "scheme")
            return
        opened = await self._open(target, host, port, writer)
        if opened is None:
            return
        up_reader, up_writer = opened
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        # one request per connection both ways: Chromium must not reuse this connection for
        # a request to another host, which would reach the server checked for this one
        up_writer.write(f"{method} {path} {version}\r\n".encode("latin-1")
                        + _without_hop_headers(headers) + b"Connection: close\r\n\r\n")
        await up_writer.drain()
        try:
            response_head = await asyncio.wait_for(up_reader.readuntil(b"\r\n\r\n"), self.idle_timeout)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            up_writer.close()
            await self._answer(writer, 502, f"no answer from {host}:{port}", UNREACHABLE)
            return
        status_line, _, rest = response_head.partition(b"\r\n")
        writer.write(status_line + b"\r\n" + _without_hop_headers(rest) + b"Connection: close\r\n\r\n")
        await self._pipe_both(reader, writer, up_reader, up_writer)

    async def _pipe_both(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                         up_reader: asyncio.StreamReader, up_writer: asyncio.StreamWriter) -> None:
        """Relay both ways until the server's side ends (a client that half-closes still
        gets the rest of the answer), then drop both connections."""
        upstream = asyncio.ensure_future(self._pipe(reader, up_writer))
        try:
            await self._pipe(up_reader, writer)
        finally:
            upstream.cancel()
            up_writer.close()

    async def _pipe(self, src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        try:
            while True:
                chunk = await asyncio.wait_for(src.read(65536), self.idle_timeout)
                if not chunk:
                    break
                dst.write(chunk)
                await dst.drain()
        except (ConnectionError, OSError, TimeoutError):
            pass
        finally:
            if dst.can_write_eof():
                try:
                    dst.write_eof()
                except OSError:
                    pass


def bind() -> GuardProxy:
    """A new proxy for one crawl's browser, registered under its port (not serving yet)."""
    proxy = GuardProxy()
    PROXIES[proxy.port] = proxy
    return proxy


def browser_args(proxy: GuardProxy) -> list[str]:
    """Chromium's switches that send every connection through ``proxy``."""
    return [f"--proxy-server={proxy.url}",
            # without this Chromium sends localhost, 127/8 and link-local around the proxy
            "--proxy-bypass-list=<-loopback>",
            # belt and braces: a connection that somehow skipped the proxy finds no name
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            # UDP never goes through an HTTP proxy: no QUIC, no WebRTC outside the proxy
            "--disable-quic", "--force-webrtc-ip-handling-policy=disable_non_proxied_udp"]


def refusal_reason(header: str, proxy: GuardProxy | None) -> str | None:
    """The guard's reason when a response's ``X-Daihuo-Netguard`` header is the proxy's
    refusal (None otherwise). The token tells the proxy's answer from a header a site sent."""
    if proxy is None or not header:
        return None
    token, _, reason = header.partition(" ")
    return (reason or "refused") if token == proxy.token else None


def _without_hop_headers(block: bytes) -> bytes:
    """The header lines of ``block`` (ending in CRLF CRLF) minus the hop-by-hop ones, each
    line ending in CRLF (the caller adds its own Connection header and the blank line)."""
    kept = []
    for line in block.split(b"\r\n"):
        if not line:
            continue
        name = line.split(b":", 1)[0].strip().lower()
        if name not in _HOP_HEADERS:
            kept.append(line + b"\r\n")
    return b"".join(kept)
