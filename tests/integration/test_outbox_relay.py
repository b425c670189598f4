"""The outbox relay against the real Postgres and RabbitMQ."""

import asyncio
from pathlib import Path

import aio_pika
import pytest

from shared.amqp import UNROUTED_SUFFIX
from shared.contracts.accounts import MemberLeftV1
from shared.outbox import OutboxRelay, add_event
from tests.support.infra import platform_schema

SCHEMA = "relaytest"
UNREACHABLE_BROKER = "amqp://guest:guest@127.0.0.1:1/"


@pytest.fixture
async def pool(database_url: str, tmp_path: Path):
    async with platform_schema(database_url, SCHEMA, tmp_path) as pool:
        yield pool


async def insert_events(pool, count: int) -> None:
    import uuid

    async with pool.acquire() as conn, conn.transaction():
        for _ in range(count):
            await add_event(
                conn,
                "accounts.member.left.v1",
                "/test",
                MemberLeftV1(user_id=uuid.uuid4(), group_id=uuid.uuid4()),
            )


def relay(pool, database_url: str, amqp_url: str, exchange: str, batch: int = 500) -> OutboxRelay:
    return OutboxRelay(
        pool, database_url, SCHEMA, amqp_url, exchange, batch_size=batch, poll_interval=0.2
    )


async def unpublished(pool) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"))


async def test_events_written_while_broker_down_all_arrive_once(
    pool, database_url, amqp_url, events_exchange, event_sink
):
    down = relay(pool, database_url, UNREACHABLE_BROKER, events_exchange)
    down.start()
    await insert_events(pool, 200)
    await asyncio.sleep(1.0)
    await down.stop()
    assert await unpublished(pool) == 200
    assert event_sink.events == []

    up = relay(pool, database_url, amqp_url, events_exchange)
    up.start()
    try:
        events = await event_sink.wait_for(200)
    finally:
        await up.stop()
    ids = [e["id"] for e in events]
    assert len(ids) == len(set(ids)) == 200
    assert await unpublished(pool) == 0
    message = event_sink.messages[0]
    assert message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
    assert message.message_id == events[0]["id"]
    assert message.type == events[0]["type"] == "accounts.member.left.v1"
    assert events[0]["specversion"] == "1.0"


async def test_two_relays_publish_each_row_exactly_once(
    pool, database_url, amqp_url, events_exchange, event_sink
):
    await insert_events(pool, 1000)
    relays = [relay(pool, database_url, amqp_url, events_exchange, batch=50) for _ in range(2)]
    for r in relays:
        r.start()
    try:
        events = await event_sink.wait_for(1000)
        await asyncio.sleep(1.0)  # room for a duplicate to show up
    finally:
        for r in relays:
            await r.stop()
    ids = [e["id"] for e in event_sink.events]
    assert len(ids) == 1000
    assert len(set(ids)) == 1000
    assert len(events) == 1000


async def test_events_nobody_subscribed_to_are_parked_not_blocking(
    pool, database_url, amqp_url, events_exchange
):
    # No queue is bound: the alternate exchange parks them, so later events are not held back.
    await insert_events(pool, 5)
    r = relay(pool, database_url, amqp_url, events_exchange)
    r.start()
    try:
        for _ in range(50):
            if await unpublished(pool) == 0:
                break
            await asyncio.sleep(0.1)
    finally:
        await r.stop()
    assert await unpublished(pool) == 0
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        parked = await channel.declare_queue(events_exchange + UNROUTED_SUFFIX, passive=True)
        assert parked.declaration_result.message_count == 5
    finally:
        await connection.close()
