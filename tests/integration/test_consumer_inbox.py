"""The shared consumer on the real broker: idempotent inbox, retries, dead-lettering."""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aio_pika
import pytest

from shared.amqp import Consumer, QueueNames, declare_events_exchange
from shared.contracts.accounts import MemberLeftV1
from shared.db import Database
from shared.envelope import new_event
from shared.outbox import to_message
from tests.support.infra import platform_schema

SCHEMA = "consumertest"
ROUTING_KEY = "accounts.member.left.v1"


@pytest.fixture
async def db(database_url: str, tmp_path: Path):
    async with platform_schema(database_url, SCHEMA, tmp_path) as pool:
        await pool.execute("CREATE TABLE effects (event_id uuid, user_id uuid)")
        yield Database(pool, 16)


@pytest.fixture
async def publish(amqp_url: str, events_exchange: str):
    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel(publisher_confirms=True)
    exchange = await declare_events_exchange(channel, events_exchange)

    async def send(
        body: dict[str, Any], routing_key: str = ROUTING_KEY, message_id: str = ""
    ) -> None:
        message = to_message(
            uuid.UUID(message_id or body.get("id") or str(uuid.uuid4())), routing_key, body
        )
        await exchange.publish(message, routing_key=routing_key, mandatory=True)

    yield send
    await connection.close()


@contextlib.asynccontextmanager
async def consuming(db, amqp_url, events_exchange, handler) -> AsyncIterator[Consumer]:
    """A consumer of ROUTING_KEY with this handler, started, and stopped after."""
    prefix = events_exchange.removesuffix("vrac.events")
    consumer = Consumer(
        "web",
        db,
        amqp_url,
        QueueNames(events_exchange, f"{prefix}web"),
        {ROUTING_KEY: handler},
        prefetch=8,
    )
    await consumer.start()
    try:
        yield consumer
    finally:
        await consumer.stop()


async def record_effect(conn, event, data) -> None:
    await conn.execute("INSERT INTO effects VALUES ($1, $2)", event.id, data.user_id)


async def effects(db) -> int:
    async with db.connection() as conn:
        return int(await conn.fetchval("SELECT count(*) FROM effects"))


async def wait_until(predicate, seconds: float = 15.0) -> None:
    for _ in range(int(seconds * 10)):
        if await predicate():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("condition not reached")


def event_body() -> dict[str, Any]:
    data = MemberLeftV1(user_id=uuid.uuid4(), group_id=uuid.uuid4())
    return new_event(ROUTING_KEY, "/test", data).model_dump(mode="json", exclude_none=True)


async def test_the_same_event_delivered_twice_has_one_effect(
    db, amqp_url, events_exchange, publish
):
    async with consuming(db, amqp_url, events_exchange, record_effect):
        body = event_body()
        await publish(body)
        await publish(body)
        await publish(event_body())
        await wait_until(lambda: _count_at_least(db, 2))
        await asyncio.sleep(0.5)
        assert await effects(db) == 2


async def _count_at_least(db, n: int) -> bool:
    return await effects(db) >= n


async def test_poison_goes_to_the_dead_letter_queue_and_the_rest_is_handled(
    db, amqp_url, events_exchange, publish
):
    async with consuming(db, amqp_url, events_exchange, record_effect) as c:
        poison = event_body()
        poison["data"] = {"user_id": "not-a-uuid"}
        await publish(poison)
        await publish({"this": "is not a cloud event"}, message_id=str(uuid.uuid4()))
        await publish(event_body())
        await wait_until(lambda: _count_at_least(db, 1))
        connection = await aio_pika.connect(amqp_url)
        try:
            channel = await connection.channel()
            dlq_name = QueueNames(events_exchange, c.names.queue).dead_letter_queue

            async def two_dead_lettered() -> bool:
                dlq = await channel.declare_queue(dlq_name, passive=True)
                return dlq.declaration_result.message_count == 2

            await wait_until(two_dead_lettered)
        finally:
            await connection.close()
    assert await effects(db) == 1


async def test_a_transient_failure_is_retried_later_and_applied_once(
    db, amqp_url, events_exchange, publish
):
    calls = 0

    async def flaky(conn, event, data) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("accounts unreachable")
        await record_effect(conn, event, data)

    async with consuming(db, amqp_url, events_exchange, flaky):
        await publish(event_body())
        await wait_until(lambda: _count_at_least(db, 1))
    assert calls == 2
    assert await effects(db) == 1
    # The failed attempt left no inbox row behind it: only the successful one.
    async with db.connection() as conn:
        assert await conn.fetchval("SELECT count(*) FROM inbox") == 1
