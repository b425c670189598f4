"""The platform's erasure and retention rules one by one (issue 14): the outbox forgets an erased
person (published rows at once, unpublished ones once published), the worker's retention job
removes old platform rows, the parking queue keeps events 7 days."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aio_pika
import pytest

from services.logistics.settings import LogisticsSettings
from services.ordering.settings import OrderingSettings
from shared.amqp import UNROUTED_QUEUE_ARGUMENTS, UNROUTED_SUFFIX, declare_events_exchange
from shared.contracts.accounts import MemberLeftV1
from shared.db import Connection, Database
from shared.outbox import OutboxRelay, add_event
from shared.retention import forget_user, purge_expired
from shared.revocations import record_membership_ends
from tests.support.infra import platform_schema

PLATFORM_SCHEMA = "retentiontest"


@pytest.fixture
async def platform_db(database_url: str, tmp_path: Path) -> AsyncIterator[Database]:
    async with platform_schema(database_url, PLATFORM_SCHEMA, tmp_path, 1, 4) as pool:
        yield Database(pool, 4)


async def member_left(
    conn: Connection, user_id: uuid.UUID | None = None, group_id: uuid.UUID | None = None
) -> None:
    """An `accounts.member.left.v1` event in the outbox (random ids by default)."""
    data = MemberLeftV1(user_id=user_id or uuid.uuid4(), group_id=group_id or uuid.uuid4())
    await add_event(conn, "accounts.member.left.v1", "/t", data)


async def test_forget_user_deletes_published_and_unpublished_after_publication(
    platform_db: Database, database_url: str, amqp_url: str, events_exchange: str, event_sink: Any
) -> None:
    erased, other = uuid.uuid4(), uuid.uuid4()
    group = uuid.uuid4()
    async with platform_db.transaction() as conn:
        for user in (erased, other):
            await member_left(conn, user, group)
        await conn.execute("UPDATE outbox SET published_at = now()")
        await member_left(conn, erased, group)
        await member_left(conn, other, group)
        await conn.execute(
            "INSERT INTO idempotency_keys (scope, key, status, response) VALUES"
            " ($1, 'k1', 201, '{}'), ('s', 'k2', 201, $2), ('s', 'k3', 201, '{}')",
            f"validate:{group}:{erased}",
            {"user_id": str(erased)},
        )
        counts = await forget_user(conn, erased)
    assert counts == {
        "outbox_deleted": 1,
        "outbox_deleted_after_publish": 1,
        "idempotency_answers_deleted": 2,
    }
    relay = OutboxRelay(
        platform_db.pool,
        database_url,
        PLATFORM_SCHEMA,
        amqp_url,
        events_exchange,
        poll_interval=0.1,
    )
    relay.start()
    try:
        events = await event_sink.wait_for(2)
    finally:
        await relay.stop()
    # Both unpublished events went out; the one about the erased person is gone from the outbox.
    assert {e["data"]["user_id"] for e in events} == {str(erased), str(other)}
    async with platform_db.connection() as conn:
        bodies = [r["body"]["data"]["user_id"] for r in await conn.fetch("SELECT body FROM outbox")]
        assert sorted(bodies) == sorted([str(other), str(other)])
        assert await conn.fetchval("SELECT count(*) FROM idempotency_keys") == 1


async def test_retention_job_removes_old_platform_rows_only(platform_db: Database) -> None:
    async with platform_db.transaction() as conn:
        for age in (timedelta(days=8), timedelta(days=1)):
            await member_left(conn)
            await conn.execute(
                "UPDATE outbox SET published_at = now() - $1::interval WHERE published_at IS NULL",
                age,
            )
            await conn.execute(
                "INSERT INTO inbox (consumer, event_id, received_at)"
                " VALUES ('c', $1, now() - $2::interval)",
                uuid.uuid4(),
                age,
            )
            await conn.execute(
                "INSERT INTO idempotency_keys (scope, key, created_at)"
                " VALUES ('s', $1, now() - $2::interval)",
                str(age),
                age,
            )
        # An unpublished row is never removed, however old.
        await member_left(conn)
        await conn.execute(
            "UPDATE outbox SET created_at = now() - interval '30 days' WHERE published_at IS NULL"
        )
        await record_membership_ends(
            conn, uuid.uuid4(), [uuid.uuid4()], datetime.now(UTC) - timedelta(minutes=25)
        )
        await record_membership_ends(conn, uuid.uuid4(), [uuid.uuid4()], datetime.now(UTC))
    removed = await purge_expired(platform_db, 7 * 24 * 3600.0)
    assert removed == {
        "outbox": 1,
        "inbox": 1,
        "idempotency_keys": 1,
        "membership_revocations": 1,
    }
    async with platform_db.connection() as conn:
        assert await conn.fetchval("SELECT count(*) FROM outbox") == 2
        assert await conn.fetchval("SELECT count(*) FROM inbox") == 1
        assert await conn.fetchval("SELECT count(*) FROM membership_revocations") == 1
    # The default retention is 7 days, configurable per service.
    assert OrderingSettings().outbox_retention == 7 * 24 * 3600
    assert LogisticsSettings(_env_file=None, outbox_retention=60).outbox_retention == 60


async def test_parking_queue_keeps_events_7_days_and_accepts_an_older_declaration(
    amqp_url: str, events_exchange: str
) -> None:
    assert UNROUTED_QUEUE_ARGUMENTS["x-message-ttl"] == 7 * 24 * 3600 * 1000
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        # As an older release declared it: 14 days. Publishing must go on regardless.
        await channel.declare_queue(
            events_exchange + UNROUTED_SUFFIX,
            durable=True,
            arguments={"x-message-ttl": 14 * 24 * 3600 * 1000, "x-max-length": 1_000_000},
        )
        exchange = await declare_events_exchange(channel, events_exchange)
        await exchange.publish(aio_pika.Message(b"{}"), routing_key="nobody.v1", mandatory=True)
        parked = await channel.declare_queue(events_exchange + UNROUTED_SUFFIX, passive=True)
        assert parked.declaration_result.message_count == 1
    finally:
        await connection.close()
