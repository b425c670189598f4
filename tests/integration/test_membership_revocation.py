"""Leaving a group ends access at once on ordering and logistics, although the member's access
token is still valid for 15 minutes; a token issued after re-joining works again."""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import aio_pika
from aiohttp.test_utils import TestClient, TestServer

from services.logistics.bootstrap import build_app as build_logistics
from services.logistics.settings import LogisticsSettings
from services.ordering.bootstrap import build_app as build_ordering
from services.ordering.settings import OrderingSettings
from shared.amqp import declare_events_exchange
from shared.auth import TokenIssuer
from shared.contracts.accounts import MemberLeftV1
from shared.envelope import new_event
from shared.outbox import to_message
from tests.integration.ordering.conftest import Ordering


async def member_leaves(amqp_url: str, exchange_name: str, user: uuid.UUID, group: uuid.UUID):
    """What accounts publishes when « Quitter le groupe » is confirmed."""
    event = new_event(
        "accounts.member.left.v1", "/accounts", MemberLeftV1(user_id=user, group_id=group)
    )
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await declare_events_exchange(channel, exchange_name)
        body = event.model_dump(mode="json", exclude_none=True)
        await exchange.publish(to_message(event.id, event.type, body), routing_key=event.type)
    finally:
        await connection.close()


async def status_becomes(expected: int, call: Callable[[], Awaitable[int]]) -> int:
    status = await call()
    for _ in range(100):
        if status == expected:
            break
        await asyncio.sleep(0.05)
        status = await call()
    return status


async def next_second() -> None:
    """Token times are whole seconds: a token issued in the second of leaving is refused too."""
    await asyncio.sleep(1.05 - datetime.now(UTC).microsecond / 1e6)


async def test_ordering_refuses_a_member_who_left(
    database_url, amqp_url, events_exchange, token_issuer: TokenIssuer, token_verifier
):
    settings = OrderingSettings(
        database_url=database_url, amqp_url=amqp_url, events_exchange=events_exchange
    )
    app = await build_ordering(settings, verifier=token_verifier)
    async with TestClient(TestServer(app)) as client:
        ordering = Ordering(client, token_issuer, database_url)
        group, other = await ordering.new_group(), await ordering.new_group()
        user = uuid.uuid4()
        token = token_issuer.issue(user, {str(group.id): "member", str(other.id): "member"})

        async def read(group_id: uuid.UUID) -> int:
            resp = await client.get(
                f"/v1/groups/{group_id}/distributions", headers=Ordering.auth(token)
            )
            return resp.status

        assert await read(group.id) == 200
        await member_leaves(amqp_url, events_exchange, user, group.id)
        assert await status_becomes(403, lambda: read(group.id)) == 403
        cart = await client.post(
            f"/v1/groups/{group.id}/distributions/{group.distribution}/cart/lines",
            json={"product_id": group.products["Lessive 1 L"], "quantity": "1"},
            headers=Ordering.auth(token),
        )
        assert cart.status == 403
        assert await read(other.id) == 200  # the other group is untouched
        await next_second()
        rejoined = token_issuer.issue(user, {str(group.id): "member"})
        resp = await client.get(
            f"/v1/groups/{group.id}/distributions", headers=Ordering.auth(rejoined)
        )
        assert resp.status == 200


async def test_logistics_refuses_a_member_who_left(
    database_url, amqp_url, events_exchange, token_issuer: TokenIssuer, token_verifier
):
    settings = LogisticsSettings(
        database_url=database_url, amqp_url=amqp_url, events_exchange=events_exchange
    )
    app = await build_logistics(settings, token_verifier)
    async with TestClient(TestServer(app)) as client:
        group, user = uuid.uuid4(), uuid.uuid4()
        token = token_issuer.issue(user, {str(group): "member"})
        requests = f"/v1/groups/{group}/distributions/{uuid.uuid4()}/delivery-requests"

        async def claim() -> int:
            resp = await client.post(
                f"{requests}/{uuid.uuid4()}/claim", headers={"Authorization": f"Bearer {token}"}
            )
            return resp.status

        async def listing() -> int:
            resp = await client.get(requests, headers={"Authorization": f"Bearer {token}"})
            return resp.status

        assert await listing() != 403
        assert await claim() != 403
        await member_leaves(amqp_url, events_exchange, user, group)
        assert await status_becomes(403, listing) == 403
        assert await claim() == 403
