"""A verified access token is remembered (its EdDSA signature is checked once), never past its own
expiry nor past its key, and a member who left is refused on the very next request although
their token is served from the cache: the membership filter runs on every request."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import jwt
import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import REGISTRY

from services.ordering.bootstrap import build_app as build_ordering
from services.ordering.settings import OrderingSettings
from shared.auth import VERIFIER_KEY, TokenIssuer, TokenVerifier
from shared.problems import Problem
from tests.integration.ordering.conftest import Group, Ordering
from tests.integration.test_membership_revocation import member_leaves, status_becomes


def counts(verifier: TokenVerifier) -> tuple[int, int]:
    """Tokens accepted so far: (signature checked, served from the cache)."""
    return verifier.checked, verifier.served_from_cache


async def refused(verifier: TokenVerifier, token: str) -> int:
    with pytest.raises(Problem) as caught:
        await verifier.verify(token)
    return caught.value.status


async def test_the_same_token_is_checked_once() -> None:
    issuer = TokenIssuer.generate()
    verifier = TokenVerifier.for_issuer(issuer)
    group, user = str(uuid.uuid4()), uuid.uuid4()
    token = issuer.issue(user, {group: "coordinator"}, first_name="Awa")
    first = await verifier.verify(token)
    again = await verifier.verify(token)
    assert again == first
    assert (again.user_id, again.memberships, again.first_name) == (
        user,
        {group: "coordinator"},
        "Awa",
    )
    assert counts(verifier) == (1, 1)


def exported(how: str) -> float:
    value = REGISTRY.get_sample_value("access_tokens_accepted_total", {"how": how})
    return 0.0 if value is None else value


async def test_the_process_exports_how_tokens_were_accepted() -> None:
    issuer = TokenIssuer.generate()
    verifier = TokenVerifier.for_issuer(issuer)
    before = exported("checked"), exported("cached")
    token = issuer.issue(uuid.uuid4(), {str(uuid.uuid4()): "member"})
    for _ in range(3):
        await verifier.verify(token)
    assert (exported("checked"), exported("cached")) == (before[0] + 1, before[1] + 2)


async def test_a_cached_token_still_expires_at_its_exp() -> None:
    issuer = TokenIssuer.generate()
    verifier = TokenVerifier.for_issuer(issuer)
    token = issuer.issue(uuid.uuid4(), {}, lifetime=2)
    expires_at = jwt.decode(token, options={"verify_signature": False})["exp"]
    await verifier.verify(token)
    await verifier.verify(token)
    assert counts(verifier) == (1, 1)
    await asyncio.sleep(max(0.0, expires_at - time.time()) + 0.01)
    assert await refused(verifier, token) == 401
    assert counts(verifier) == (1, 1)


async def test_a_cached_token_goes_with_its_key() -> None:
    issuer = TokenIssuer.generate()
    verifier = TokenVerifier.for_issuer(issuer)
    token = issuer.issue(uuid.uuid4(), {})
    await verifier.verify(token)
    # Another key under the same id (a rotation gone wrong): the signature no longer matches.
    verifier.keys[issuer.key_id] = TokenIssuer.generate().private_key.public_key()
    assert await refused(verifier, token) == 401
    del verifier.keys[issuer.key_id]  # the key removed: its tokens are refused at once
    assert await refused(verifier, token) == 401
    assert counts(verifier) == (1, 0)


async def test_a_caller_cannot_change_what_the_cache_holds() -> None:
    issuer = TokenIssuer.generate()
    verifier = TokenVerifier.for_issuer(issuer)
    group = str(uuid.uuid4())
    token = issuer.issue(uuid.uuid4(), {group: "member"})
    (await verifier.verify(token)).memberships[str(uuid.uuid4())] = "coordinator"
    (await verifier.verify(token)).memberships.clear()
    assert (await verifier.verify(token)).memberships == {group: "member"}
    assert counts(verifier) == (1, 2)


async def test_the_cache_keeps_the_last_tokens_only() -> None:
    issuer = TokenIssuer.generate()
    verifier = TokenVerifier.for_issuer(issuer, cache_size=2)
    first, second, third = (issuer.issue(uuid.uuid4(), {}) for _ in range(3))
    for token in (first, second, first, third):  # `second` is now the least recently used
        await verifier.verify(token)
    assert counts(verifier) == (3, 1)
    await verifier.verify(first)
    await verifier.verify(third)
    assert counts(verifier) == (3, 3)
    await verifier.verify(second)
    assert counts(verifier) == (4, 3)


@pytest.fixture
async def ordering(
    database_url: str, amqp_url: str, events_exchange: str, token_issuer: TokenIssuer
) -> AsyncIterator[Ordering]:
    """The ordering app with a verifier of its own (its cache starts empty)."""
    settings = OrderingSettings(
        database_url=database_url, amqp_url=amqp_url, events_exchange=events_exchange
    )
    app = await build_ordering(settings, verifier=TokenVerifier.for_issuer(token_issuer))
    async with TestClient(TestServer(app)) as client:
        yield Ordering(client, token_issuer, database_url)


async def test_a_member_who_left_is_refused_on_the_next_request_with_a_cached_token(
    ordering: Ordering, amqp_url: str, events_exchange: str
) -> None:
    verifier = ordering.client.app[VERIFIER_KEY]
    kept, left = await ordering.new_group(), await ordering.new_group()
    user = uuid.uuid4()
    token = ordering.issuer.issue(user, {str(kept.id): "member", str(left.id): "member"})

    async def status(group: Group) -> int:
        path = f"/v1/groups/{group.id}/distributions/{group.distribution}"
        return (await ordering.client.get(path, headers=Ordering.auth(token))).status

    assert await status(left) == 200
    checked, cached = counts(verifier)
    assert await status(left) == 200
    assert counts(verifier) == (checked, cached + 1)  # no second signature check
    await member_leaves(amqp_url, events_exchange, user, left.id)
    assert await status_becomes(403, lambda: status(left)) == 403
    cached = verifier.served_from_cache
    assert (await status(left), await status(kept)) == (403, 200)
    assert counts(verifier) == (checked, cached + 2)  # both answered with the cached token
