"""Which addresses daihuo may connect to on someone's behalf: one pure policy.

The crawler's downloader guard (crawlers/netguard.py), "test extraction" and webhooks
(daihuo/runs/pinned_http.py) and source validation (editorial/sources.py) all ask this module, so
the rule is written once: a host is resolved once, every address it has must be public or
inside an allowed network, and the caller connects to the address that was checked.

Allowed networks come from two places: the admin's console setting ``allowed_networks``
(read by the callers, who hold the store) and the operator's environment variable
``DAIHUO_ALLOWED_NETWORKS`` (CIDRs separated by commas or spaces: the demo, tests, an
intranet deployment). Nothing else lets an internal address through.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
from collections.abc import Callable, Iterable

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
#: host name -> its addresses (tests replace it; the default asks the system resolver)
Resolver = Callable[[str], list[str]]
ENV_ALLOWED = "DAIHUO_ALLOWED_NETWORKS"

_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_6TO4 = ipaddress.ip_network("2002::/16")
_TEREDO = ipaddress.ip_network("2001::/32")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


class AddressRefused(ValueError):
    """A host we will not connect to; ``reason`` is a short code for stats, the message
    says what to do about it."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def embedded_v4(addr: IPAddress) -> tuple[str, ipaddress.IPv4Address] | None:
    """The IPv4 address an IPv6 form carries (mapped, NAT64, 6to4, Teredo), with the form."""
    if not isinstance(addr, ipaddress.IPv6Address):
        return None
    if addr.ipv4_mapped is not None:
        return "ipv4-mapped", addr.ipv4_mapped
    if any(addr in net for net in _NAT64):
        return "nat64", ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    if addr in _6TO4:
        return "6to4", addr.sixtofour
    if addr in _TEREDO:
        return "teredo", addr.teredo[1]
    return None


def _plain_reason(addr: IPAddress) -> str | None:
    for reason, flag in (("unspecified", addr.is_unspecified), ("loopback", addr.is_loopback),
                         ("link-local", addr.is_link_local), ("multicast", addr.is_multicast),
                         ("private", addr.is_private), ("reserved", addr.is_reserved),
                         ("non-global", not addr.is_global)):
        if flag:
            return reason
    return None


def refusal_reason(addr: IPAddress) -> str | None:
    """None for a public address, else why not (loopback, private, 6to4, nat64...).
    6to4 and Teredo are refused whatever they carry (relays nobody's news site needs);
    a mapped or NAT64 form is judged by the IPv4 address inside it (DNS64 networks give
    every IPv4-only site a NAT64 address)."""
    inner = embedded_v4(addr)
    if inner is not None:
        form, v4 = inner
        if form in ("6to4", "teredo") or _plain_reason(v4):
            return form
        return None
    return _plain_reason(addr)


def is_internal(addr: IPAddress) -> bool:
    """Private, loopback, link-local or otherwise not a public internet address."""
    return refusal_reason(addr) is not None


def in_networks(addr: IPAddress, allowed: Iterable[IPNetwork]) -> bool:
    """``addr`` (or the IPv4 address a mapped/NAT64 form carries) is in an allowed network."""
    candidates = [addr]
    inner = embedded_v4(addr)
    if inner is not None and inner[0] in ("ipv4-mapped", "nat64"):
        candidates.append(inner[1])
    return any(a.version == net.version and a in net for a in candidates for net in allowed)


def parse_networks(values: Iterable[str]) -> list[IPNetwork]:
    """CIDRs or addresses; ValueError naming the bad one."""
    nets = []
    for value in values:
        value = value.strip()
        if not value:
            continue
        try:
            nets.append(ipaddress.ip_network(value, strict=False))
        except ValueError:
            raise ValueError(f"not a network (CIDR) or address: {value!r}") from None
    return nets


def env_allowed_networks(environ: dict | None = None) -> list[IPNetwork]:
    """The operator's allowed networks (``DAIHUO_ALLOWED_NETWORKS``)."""
    raw = (os.environ if environ is None else environ).get(ENV_ALLOWED, "")
    return parse_networks(re.split(r"[\s,]+", raw))


# -- resolving once ----------------------------------------------------------------------------
def system_resolver(host: str) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise AddressRefused(f"host {host!r} does not resolve ({exc})", "unresolvable") from None
    return sorted({info[4][0] for info in infos})


def host_addresses(host: str, resolver: Resolver | None = None) -> list[IPAddress]:
    """The addresses of ``host`` (an IP literal is its own address), resolved once."""
    host = host.strip("[]")
    try:
        return [ipaddress.ip_address(host.split("%")[0])]
    except ValueError:
        pass
    try:
        found = [ipaddress.ip_address(a.split("%")[0]) for a in (resolver or system_resolver)(host)]
    except AddressRefused:
        raise
    except (OSError, ValueError) as exc:
        raise AddressRefused(f"host {host!r} does not resolve ({exc})", "unresolvable") from None
    if not found:
        raise AddressRefused(f"host {host!r} has no address", "unresolvable")
    return found


def checked_address(host: str, allowed: Iterable[IPNetwork] = (),
                    resolver: Resolver | None = None) -> IPAddress:
    """Resolve ``host`` once and return the address to connect to, or raise AddressRefused.
    Every address must pass (a name with one public and one internal address would
    otherwise let a connection in); an IPv4 address is preferred, as Scrapy connects over
    IPv4."""
    allowed = list(allowed)
    addrs = host_addresses(host, resolver)
    for addr in addrs:
        reason = refusal_reason(addr)
        if reason and not in_networks(addr, allowed):
            # one wording for names and literals: the console translates it (messages_zh)
            raise AddressRefused(
                f"{host} resolves to {addr}, a private/loopback/link-local address ({reason}); "
                "an admin can allow its network in the console settings", reason)
    return sorted(addrs, key=lambda a: a.version)[0]


# -- allowed_domains -------------------------------------------------------------------------
def domain_problem(value: str, start_hosts: Iterable[str] = ()) -> str | None:
    """Why ``value`` is not a usable ``allowed_domains`` entry, or None. Scrapy matches an
    entry as a suffix of the host, so a bare label ("1", "com") would allow every host
    ending in it; an entry is an IP literal or a host name of two or more labels whose
    last is not numeric (a single label only when it is a start URL's own host)."""
    if not isinstance(value, str):
        return f"{value!r} is not a host name"
    host = value.strip().lower().rstrip(".")
    if host in {h.lower() for h in start_hosts if h} and not host.isdigit():
        return None
    try:
        ipaddress.ip_address(host.strip("[]"))
        return None
    except ValueError:
        pass
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return f"{value!r} is not a host name"
    labels = host.split(".")
    if len(labels) < 2:
        return f"{value!r} is a bare label, which would match every host ending in it; give a host name such as example.com"
    if not all(_LABEL.match(label) for label in labels) or labels[-1].isdigit():
        return f"{value!r} is not a host name (letters, digits and '-' between dots)"
    return None


def ip_literal(value: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(value.strip().strip("[]"))
    except ValueError:
        return None
