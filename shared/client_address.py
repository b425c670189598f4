"""The client's address behind reverse proxies: one rule for every service that counts per address.

Behind a reverse proxy every request comes from the proxy: its address alone would put every
client in one bucket. The proxy's `X-Forwarded-For` is believed only when the peer is one of the
service's trusted proxies, and only its right-most entries (the ones our own proxies appended):
the left of the header is whatever the client wrote.
"""

from collections.abc import Iterable, Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

IPAddress = IPv4Address | IPv6Address
IPNetwork = IPv4Network | IPv6Network
# Longer than any spelling of an address: not worth parsing.
_LONGEST_ADDRESS = 64


def parse_address(text: str) -> IPAddress | None:
    """Exactly one IP address ("203.0.113.7", "2001:db8::1"), blanks around it allowed; None if
    the text is anything else."""
    text = text.strip()
    if not text or len(text) > _LONGEST_ADDRESS:
        return None
    try:
        found = ip_address(text)
    except ValueError:
        return None
    # An IPv4 peer on a dual-stack socket shows as ::ffff:a.b.c.d: the same client.
    if isinstance(found, IPv6Address) and found.ipv4_mapped is not None:
        return found.ipv4_mapped
    return found


def parse_hop(text: str) -> IPAddress | None:
    """An address as peers and proxies write it: "203.0.113.7", "2001:db8::1", "[2001:db8::1]",
    with a port ("203.0.113.7:5123", "[2001:db8::1]:5123") or not; None if it is no address."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    return parse_address(text)


def is_trusted(address: IPAddress, trusted: Sequence[IPNetwork]) -> bool:
    return any(address.version == net.version and address in net for net in trusted)


def forwarded_hops(values: Iterable[str]) -> list[str]:
    """Every entry of the X-Forwarded-For headers, left to right (headers in arrival order)."""
    return [hop.strip() for value in values for hop in value.split(",") if hop.strip()]


def client_behind_proxies(
    peer: IPAddress, hops: Sequence[str], trusted: Sequence[IPNetwork]
) -> IPAddress:
    """The right-most hop that is not a trusted proxy, when the peer is a trusted proxy; the peer
    otherwise."""
    if not is_trusted(peer, trusted) or not hops:
        return peer
    for hop in reversed(hops):
        address = parse_hop(hop)
        if address is None:
            # Our proxies write addresses: this entry came from the client. The last proxy is
            # all that is known, and it cannot be spoofed into a fresh budget.
            return peer
        if not is_trusted(address, trusted):
            return address
    # Every hop is one of ours (a local check through the proxy): the first one sent it.
    first = parse_hop(hops[0])
    return first if first is not None else peer
