"""The member's real address, for log-in throttling per client address.

Two ways for it to reach accounts, and no other:
- `X-Client-Address: <one IP address>`, honoured only with `X-Service-Token: <service token>`
  (a token from `POST /v1/service-tokens`, verified like any service token): the web service
  forwards the address its own client-address logic found. Without a valid service token, or
  with a value that is not exactly one IP address, the header is ignored.
- `X-Forwarded-For`, read only when the peer is in ACCOUNTS_TRUSTED_PROXIES: walking from the
  right, the first address that is not itself a trusted proxy (a client can write anything on
  the left, only the right-most entries come from our proxies); the rule is the web's too,
  shared/client_address.py.
Otherwise the peer's address. An IPv6 client counts as its /64: one host holds a whole /64.
"""

from ipaddress import IPv6Address, IPv6Network

from aiohttp import web

from services.accounts.keys import SETTINGS_KEY
from shared.auth import VERIFIER_KEY
from shared.client_address import IPAddress, client_behind_proxies, forwarded_hops, parse_address
from shared.problems import Problem

CLIENT_ADDRESS_HEADER = "X-Client-Address"
SERVICE_TOKEN_HEADER = "X-Service-Token"


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


async def client_address(request: web.Request) -> str:
    forwarded = request.headers.get(CLIENT_ADDRESS_HEADER)
    if forwarded is not None:
        address = parse_address(forwarded)
        if address is not None and await _from_a_service(request):
            return throttle_form(address)
    peer = parse_address(request.remote or "")
    if peer is None:  # a Unix socket: nothing better to count on
        return request.remote or "unknown"
    hops = forwarded_hops(request.headers.getall("X-Forwarded-For", []))
    client = client_behind_proxies(peer, hops, request.app[SETTINGS_KEY].trusted_networks)
    return throttle_form(client)
