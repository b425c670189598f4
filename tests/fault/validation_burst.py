"""A steady burst of order validations through ordering's HTTP API while the broker link
suffers (broker killed, network faults), and what became of them: the integrator's queue against
ordering's outbox, the orders, the order mails. The platform (tests.fault.conftest) runs every
service as a real process on a RabbitMQ node of the test's own."""

import asyncio
import json
import time
import uuid
from dataclasses import dataclass

import aio_pika
import aiohttp
import asyncpg

from shared.amqp import declare_events_exchange
from shared.contracts.ordering import OrderValidatedV1
from tests.fault.conftest import Platform
from tests.load.ordering_data import Group, RushData, setup_data

VALIDATED = OrderValidatedV1.ROUTING_KEY
CLIENT_TIMEOUT = aiohttp.ClientTimeout(total=30)


@dataclass
class Call:
    started: float  # time.time(), comparable with the database's timestamps
    seconds: float
    status: int


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def declare_subscribers(url: str, exchange_name: str) -> tuple[str, str]:
    """The integrator's durable quorum queue (validations) and an audit queue (every event),
    declared before the burst so both outlive the broker's death."""
    prefix = exchange_name.removesuffix("vrac.events")
    connection = await aio_pika.connect(url)
    try:
        channel = await connection.channel()
        exchange = await declare_events_exchange(channel, exchange_name)
        names = (f"{prefix}integrator", f"{prefix}audit")
        for name, key in zip(names, (VALIDATED, "#"), strict=True):
            queue = await channel.declare_queue(
                name, durable=True, arguments={"x-queue-type": "quorum"}
            )
            await queue.bind(exchange, routing_key=key)
    finally:
        await connection.close()
    return names


async def drain_ids(url: str, queue_name: str, wanted: int, seconds: float) -> list[str]:
    """Message ids taken from the queue until `wanted` distinct ones or the deadline."""
    ids: list[str] = []
    deadline = time.monotonic() + seconds
    connection = await aio_pika.connect(url)
    try:
        queue = await (await connection.channel()).get_queue(queue_name)
        while len(set(ids)) < wanted and time.monotonic() < deadline:
            message = await queue.get(no_ack=True, fail=False)
            if message is None:
                await asyncio.sleep(0.2)
                continue
            ids.append(str(json.loads(message.body)["id"]))
    finally:
        await connection.close()
    return ids


async def burst(
    ordering: str, platform: Platform, people: list[tuple[Group, uuid.UUID]], rate: float
) -> list[Call]:
    """One validation per member, started at a steady `rate` per second (never retried)."""
    calls: list[Call] = []
    tokens = [
        platform.issuer.issue(user, {str(group.id): "member"}, lifetime=3600)
        for group, user in people
    ]
    connector = aiohttp.TCPConnector(limit=64)
    async with aiohttp.ClientSession(connector=connector, timeout=CLIENT_TIMEOUT) as session:

        async def one(index: int) -> None:
            group, _ = people[index]
            url = (
                f"{ordering}/v1/groups/{group.id}/distributions/{group.distribution}/order/validate"
            )
            headers = {**auth(tokens[index]), "Idempotency-Key": f"burst-{index}"}
            started, clock = time.time(), time.perf_counter()
            try:
                async with session.post(
                    url, json={"payment_method": "on_site"}, headers=headers
                ) as resp:
                    await resp.read()
                    status = resp.status
            except (aiohttp.ClientError, TimeoutError):
                status = 0
            calls.append(Call(started, time.perf_counter() - clock, status))

        began = time.monotonic()
        tasks = []
        for index in range(len(people)):
            wait = began + index / rate - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            tasks.append(asyncio.create_task(one(index)))
        await asyncio.gather(*tasks)
    return calls


def answer_counts(calls: list[Call]) -> tuple[dict[int, int], int]:
    """Calls per HTTP status (0: no answer), and how many of them failed (not 2xx)."""
    statuses: dict[int, int] = {}
    for call in calls:
        statuses[call.status] = statuses.get(call.status, 0) + 1
    failed = sum(n for s, n in statuses.items() if not 200 <= s < 300)
    return statuses, failed


async def unlimited_stock_data(database_url: str, members: int) -> RushData:
    """The set-up groups and `members` members with a filled cart, no product stock-limited:
    every validation must be accepted (a 409 would hide a failure)."""
    conn = await asyncpg.connect(database_url, server_settings={"search_path": "ordering"})
    try:
        data = await setup_data(conn, members, stocked=1)
        await conn.execute("UPDATE products SET stock = NULL")
    finally:
        await conn.close()
    return data


async def validated_event_ids(db: asyncpg.Connection) -> set[str]:
    """The ids of the validated-order events ordering's outbox holds (published or not)."""
    return {
        str(r["event_id"])
        for r in await db.fetch(
            "SELECT event_id FROM ordering.outbox WHERE routing_key = $1", VALIDATED
        )
    }


async def order_counts(db: asyncpg.Connection, data: RushData) -> asyncpg.Record | None:
    """Orders of the set-up groups: `n` rows for `users` distinct members."""
    return await db.fetchrow(
        "SELECT count(*) AS n, count(DISTINCT user_id) AS users FROM ordering.orders"
        " WHERE group_id = ANY($1)",
        [g.id for g in data.groups],
    )


async def order_mails(db: asyncpg.Connection, wanted: int, seconds: float = 60) -> asyncpg.Record:
    """Order mails queued by notifications (`n` rows for `orders` distinct orders), once
    `wanted` orders have one or after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        mails = await db.fetchrow(
            "SELECT count(*) AS n, count(DISTINCT context->>'order_id') AS orders"
            " FROM notifications.email_outbox WHERE kind = 'order_confirmation'"
        )
        assert mails is not None
        if mails["orders"] >= wanted or time.monotonic() > deadline:
            return mails
        await asyncio.sleep(0.5)


@dataclass(frozen=True)
class ValidationEffects:
    """The burst's validations against what reached the integrator and what was applied."""

    lost: int  # events the integrator never got, orders without their order mail
    duplicated: int  # orders and order mails applied twice
    transport_duplicates: int  # copies of an event the integrator got again (same id)


async def validation_effects(
    db: asyncpg.Connection, data: RushData, ids: list[str], validations: int
) -> ValidationEffects:
    """`ids`: the event ids drained from the integrator's queue."""
    expected = await validated_event_ids(db)
    orders = await order_counts(db, data)
    assert orders is not None
    # The notifications consumer: one order mail per order, whatever the redeliveries.
    mails = await order_mails(db, validations)
    seen = set(ids)
    return ValidationEffects(
        lost=len(expected - seen) + (validations - mails["orders"]),
        duplicated=(orders["n"] - orders["users"]) + (mails["n"] - mails["orders"]),
        transport_duplicates=len(ids) - len(seen),
    )
