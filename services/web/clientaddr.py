"""The member's own address, for accounts' per-address log-in throttle and the dev pages.

Behind a reverse proxy every request comes from the proxy: its address alone would put every
member in one throttle bucket. The proxy's `X-Forwarded-For` is believed only when the peer is one
of WEB_TRUSTED_PROXIES, and only its right-most entries (the ones our own proxies appended): the
left of the header is whatever the client wrote."""

from collections.abc import Iterable, Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

from aiohttp import web

IPAddress = IPv4Address | IPv6Address
IPNetwork = IPv4Network | IPv6Network
UNKNOWN = "unknown"


def parse_address(text: str) -> IPAddress | None:
    """An address as peers and proxies write it: "203.0.113.7", "2001:db8::1", "[2001:db8::1]",
    with a port ("203.0.113.7:5123", "[2001:db8::1]:5123") or not; None if it is no address."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        found = ip_address(text)
    except ValueError:
        return None
    # An IPv4 peer on a dual-stack socket shows as ::ffff:a.b.c.d: the same member.
    if isinstance(found, IPv6Address) and found.ipv4_mapped is not None:
        return found.ipv4_mapped
    return found


def is_trusted(address: IPAddress, trusted: Sequence[IPNetwork]) -> bool:
    return any(address.version == net.version and address in net for net in trusted)


def forwarded_hops(values: Iterable[str]) -> list[str]:
    """Every entry of the X-Forwarded-For headers, left to right (headers in arrival order)."""
    return [hop.strip() for value in values for hop in value.split(",") if hop.strip()]


def client_address(remote: str | None, forwarded: list[str], trusted: Sequence[IPNetwork]) -> str:
    """The right-most address of X-Forwarded-For that is not a trusted proxy, when the peer is a
    trusted proxy; the peer's address otherwise."""
    peer = parse_address(remote or "")
    if peer is None:
        return remote or UNKNOWN
    if not is_trusted(peer, trusted) or not forwarded:
        return str(peer)
    for hop in reversed(forwarded):
        address = parse_address(hop)
        if address is None:
            # Our proxies write addresses: this entry came from the client. The last proxy is
            # all that is known, and it cannot be spoofed into a fresh budget.
            return str(peer)
        if not is_trusted(address, trusted):
            return str(address)
    # Every hop is one of ours (a local check through the proxy): the first one sent it.
    first = parse_address(forwarded[0])
    return str(first) if first is not None else str(peer)


def request_client_address(request: web.Request, trusted: Sequence[IPNetwork]) -> str:
    return client_address(
        request.remote, forwarded_hops(request.headers.getall("X-Forwarded-For", [])), trusted
    )


def is_loopback_client(request: web.Request, trusted: Sequence[IPNetwork]) -> bool:
    """A person on this machine itself (not through a proxy relaying someone else)."""
    address = parse_address(request_client_address(request, trusted))
    return address is not None and address.is_loopback
