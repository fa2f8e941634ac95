"""An httpx transport that applies the network policy (editorial/network_policy.py) to every request
and connects to the address it checked: "test extraction" and webhooks use it.

Each request's host is resolved once; every address must be public or inside an allowed
network, else ``AddressRefused`` is raised (before any connection). The connection then goes
to the checked address while the URL keeps its host name, so the Host header and TLS SNI
and certificate check are the name's, and a DNS answer that changes between the check and
the connect (rebinding) is never asked for. No proxy from the environment is used: a proxy
would resolve the name again on its side.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable

import certifi
import httpcore
import httpx

from editorial import network_policy as netpolicy
from editorial.network_policy import AddressRefused, IPNetwork, Resolver

__all__ = ["AddressRefused", "PinnedTransport"]


class _PinnedBackend(httpcore.NetworkBackend):
    """Opens TCP connections to the pinned address of a host, never to a name."""

    def __init__(self, pins: dict[str, str], inner: httpcore.NetworkBackend | None = None) -> None:
        self.pins = pins
        self.inner = inner or httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None, socket_options=None):  # noqa: ANN001, ANN201
        address = self.pins.get(host.strip("[]").lower())
        if address is None:  # every request passes handle_request first; this is the backstop
            raise httpcore.ConnectError(f"network guard: {host} was not checked")
        return self.inner.connect_tcp(address, port, timeout=timeout, local_address=local_address,
                                      socket_options=socket_options)

    def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options=None):  # noqa: ANN001, ANN201
        raise httpcore.ConnectError("network guard: no unix sockets")

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


class PinnedTransport(httpx.HTTPTransport):
    """``httpx.HTTPTransport`` under the network policy; ``resolver`` replaces DNS in tests,
    ``backend`` the socket layer."""

    def __init__(self, allowed: Iterable[IPNetwork] = (), resolver: Resolver | None = None,
                 backend: httpcore.NetworkBackend | None = None, verify: bool = True) -> None:
        super().__init__(trust_env=False)
        self.allowed = list(allowed)
        self.resolver = resolver
        self.pins: dict[str, str] = {}
        ctx = ssl.create_default_context(cafile=certifi.where())
        if not verify:
            ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
        self._pool = httpcore.ConnectionPool(ssl_context=ctx, max_connections=10,
                                             network_backend=_PinnedBackend(self.pins, backend))

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme not in ("http", "https"):
            raise AddressRefused(f"only http(s) is fetched, not {request.url.scheme}:", "scheme")
        host = request.url.host.lower()
        addr = netpolicy.checked_address(host, self.allowed, self.resolver)
        self.pins[host] = str(addr)
        return super().handle_request(request)
