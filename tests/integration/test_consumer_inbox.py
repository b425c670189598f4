"""The shared consumer on the real broker: idempotent inbox, retries, dead-lettering."""

import asyncio
import uuid
from pathlib import Path

import aio_pika
import pytest

from shared.amqp import Consumer, QueueNames, declare_events_exchange
from shared.contracts.accounts import MemberLeftV1
from shared.db import Database, create_pool
from shared.envelope import new_event
from shared.migrations import migrate
from shared.outbox import to_message

SCHEMA = "consumertest"
ROUTING_KEY = "accounts.member.left.v1"


@pytest.fixture
async def db(database_url: str, tmp_path: Path):
    await migrate(database_url, SCHEMA, tmp_path)
    pool = await create_pool(database_url, SCHEMA)
    await pool.execute("CREATE TABLE effects (event_id uuid, user_id uuid)")
    yield Database(pool)
    await pool.close()


@pytest.fixture
async def publish(amqp_url: str, events_exchange: str):
    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel(publisher_confirms=True)
    exchange = await declare_events_exchange(channel, events_exchange)

    async def send(body: dict, routing_key: str = ROUTING_KEY, message_id: str = "") -> None:
        message = to_message(
            uuid.UUID(message_id or body.get("id") or str(uuid.uuid4())), routing_key, body
        )
        await exchange.publish(message, routing_key=routing_key, mandatory=True)

    yield send
    await connection.close()


def consumer(db, amqp_url, events_exchange, handler) -> Consumer:
    prefix = events_exchange.removesuffix("vrac.events")
    return Consumer(
        "web",
        db,
        amqp_url,
        QueueNames(events_exchange, f"{prefix}web"),
        {ROUTING_KEY: handler},
        prefetch=8,
    )


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


def event_body() -> dict:
    data = MemberLeftV1(user_id=uuid.uuid4(), group_id=uuid.uuid4())
    return new_event(ROUTING_KEY, "/test", data).model_dump(mode="json", exclude_none=True)


async def test_the_same_event_delivered_twice_has_one_effect(
    db, amqp_url, events_exchange, publish
):
    c = consumer(db, amqp_url, events_exchange, record_effect)
    await c.start()
    try:
        body = event_body()
        await publish(body)
        await publish(body)
        await publish(event_body())
        await wait_until(lambda: _count_at_least(db, 2))
        await asyncio.sleep(0.5)
        assert await effects(db) == 2
    finally:
        await c.stop()


async def _count_at_least(db, n: int) -> bool:
    return await effects(db) >= n


async def test_poison_goes_to_the_dead_letter_queue_and_the_rest_is_handled(
    db, amqp_url, events_exchange, publish
):
    c = consumer(db, amqp_url, events_exchange, record_effect)
    await c.start()
    try:
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
    finally:
        await c.stop()
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

    c = consumer(db, amqp_url, events_exchange, flaky)
    await c.start()
    try:
        await publish(event_body())
        await wait_until(lambda: _count_at_least(db, 1))
    finally:
        await c.stop()
    assert calls == 2
    assert await effects(db) == 1
    # The failed attempt left no inbox row behind it: only the successful one.
    async with db.connection() as conn:
        assert await conn.fetchval("SELECT count(*) FROM inbox") == 1
