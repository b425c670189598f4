"""The member's real address, for log-in throttling per client address.

Two ways for it to reach accounts, and no other:
- `X-Client-Address: <one IP address>`, honoured only with `X-Service-Token: <service token>`
  (a token from `POST /v1/service-tokens`, verified like any service token): the web service
  forwards the address its own client-address logic found. Without a valid service token, or
  with a value that is not exactly one IP address, the header is ignored.
- `X-Forwarded-For`, read only when the peer is in ACCOUNTS_TRUSTED_PROXIES: walking from the
  right, the first address that is not itself a trusted proxy (a client can write anything on
  the left, only the right-most entries come from our proxies).
Otherwise the peer's address. An IPv6 client counts as its /64: one host holds a whole /64.
"""

from ipaddress import IPv4Address, IPv6Address, IPv6Network, ip_address

from aiohttp import web

from services.accounts.keys import SETTINGS_KEY
from shared.auth import VERIFIER_KEY
from shared.problems import Problem

IPAddress = IPv4Address | IPv6Address
CLIENT_ADDRESS_HEADER = "X-Client-Address"
SERVICE_TOKEN_HEADER = "X-Service-Token"


def parse_address(value: str) -> IPAddress | None:
    value = value.strip()
    if not value or len(value) > 64:
        return None
    try:
        address = ip_address(value)
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def throttle_form(address: IPAddress) -> str:
    if isinstance(address, IPv6Address):
        return str(IPv6Network((address, 64), strict=False))
    return str(address)


async def _from_a_service(request: web.Request) -> bool:
    token = request.headers.get(SERVICE_TOKEN_HEADER, "").strip()
    if not token:
        return False
    try:
        caller = await request.app[VERIFIER_KEY].verify(token)
    except Problem:  # forged, expired or unverifiable: the header is just ignored
        return False
    return caller.service is not None


def _behind_proxies(request: web.Request, peer: IPAddress) -> IPAddress:
    networks = request.app[SETTINGS_KEY].trusted_networks

    def trusted(address: IPAddress) -> bool:
        return any(address in network for network in networks)

    entries = ",".join(request.headers.getall("X-Forwarded-For", [])).split(",")
    client = peer
    for entry in reversed(entries):
        if not trusted(client):
            break
        hop = parse_address(entry)
        if hop is None:  # a garbled entry: the last good hop is as far as we can trust
            break
        client = hop
    return client


async def client_address(request: web.Request) -> str:
    forwarded = request.headers.get(CLIENT_ADDRESS_HEADER)
    if forwarded is not None:
        address = parse_address(forwarded)
        if address is not None and await _from_a_service(request):
            return throttle_form(address)
    peer = parse_address(request.remote or "")
    if peer is None:  # a Unix socket: nothing better to count on
        return request.remote or "unknown"
    return throttle_form(_behind_proxies(request, peer))
