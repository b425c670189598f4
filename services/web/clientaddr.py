"""The member's own address, for accounts' per-address log-in throttle and the dev pages.

The rule (trusted proxies' right-most X-Forwarded-For entries only) is shared with accounts:
shared/client_address.py. Here: the proxies are WEB_TRUSTED_PROXIES, and the address is the one
the web forwards to accounts in X-Client-Address."""

from collections.abc import Sequence

from aiohttp import web

from shared.client_address import IPNetwork, client_behind_proxies, forwarded_hops, parse_hop

UNKNOWN = "unknown"


def client_address(remote: str | None, forwarded: list[str], trusted: Sequence[IPNetwork]) -> str:
    """The right-most address of X-Forwarded-For that is not a trusted proxy, when the peer is a
    trusted proxy; the peer's address otherwise."""
    peer = parse_hop(remote or "")
    if peer is None:
        return remote or UNKNOWN
    return str(client_behind_proxies(peer, forwarded, trusted))


def request_client_address(request: web.Request, trusted: Sequence[IPNetwork]) -> str:
    return client_address(
        request.remote, forwarded_hops(request.headers.getall("X-Forwarded-For", [])), trusted
    )


def is_loopback_client(request: web.Request, trusted: Sequence[IPNetwork]) -> bool:
    """A person on this machine itself (not through a proxy relaying someone else)."""
    address = parse_hop(request_client_address(request, trusted))
    return address is not None and address.is_loopback
