"""Fault 5: poison messages in front of good ones.

logistics and notifications run as real `worker` processes. The test publishes to the per-test
exchange, on a routing key both consume (`ordering.order.validated.v1`): a body that is not JSON,
bad UTF-8, JSON that is not an object, an envelope without id, an unknown type, a future version
of the type, 10 MB, and a valid envelope with invalid data; then 500 good order events. Each
poison message must be dead-lettered to `<prefix><service>.dlq` with a `poison_message` log line
from each consumer, and all 500 good ones applied once. A future version on its own routing key
(`….v9`, bound by nobody) is parked by the exchange's alternate exchange, not lost.

(The broker here accepts messages up to 128 MB: RabbitMQ 3.8+'s default `max_message_size`.)
"""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Any

import aio_pika
import asyncpg

from shared.amqp import UNROUTED_SUFFIX, declare_events_exchange
from shared.contracts.ordering import OrderValidatedV1
from shared.envelope import new_event
from shared.outbox import to_message
from tests.fault.effects import lost_and_duplicated
from tests.support.factories import order_line, order_validated
from tests.support.fault_stack import FaultStack, ServiceProcess, wait_until

VALIDATED = OrderValidatedV1.ROUTING_KEY
CONSUMERS = ("logistics", "notifications")
GOOD = 500
TEN_MB = 10 * 1024 * 1024
GROUP = uuid.uuid4()
DISTRIBUTION = uuid.uuid4()


def good_event(user_id: uuid.UUID) -> aio_pika.Message:
    line = order_line(
        "Lentilles - en vrac",
        "kg",
        bulk=True,
        quantity="1.5",
        unit_price_cents=374,
        line_total_cents=561,
    )
    data = order_validated(DISTRIBUTION, GROUP, user_id, [line], 561)
    event = new_event(VALIDATED, "/ordering", data, subject=str(data.order_id), group_id=GROUP)
    return to_message(event.id, VALIDATED, event.model_dump(mode="json", exclude_none=True))


def envelope(**changes: Any) -> dict[str, Any]:
    """A valid envelope of an order event, then `changes` (None removes the field)."""
    message = good_event(uuid.uuid4())
    body: dict[str, Any] = json.loads(message.body)
    for key, value in changes.items():
        if value is None:
            body.pop(key)
        else:
            body[key] = value
    return body


def raw(body: bytes, message_id: str | None = None) -> aio_pika.Message:
    return aio_pika.Message(
        body=body,
        content_type="application/cloudevents+json",
        message_id=message_id,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
    )


def poison_messages() -> dict[str, aio_pika.Message]:
    bad_utf8 = json.dumps(envelope(subject="Crème")).encode().replace(b"Cr\\u00e8me", b"Cr\xe8me")
    assert b"\xe8" in bad_utf8
    return {
        "not JSON": raw(b"ceci n'est pas du JSON {"),
        "bad UTF-8": raw(bad_utf8),
        "JSON not an object": raw(b"[1, 2, 3]"),
        "missing id": raw(json.dumps(envelope(id=None)).encode()),
        "unknown type": raw(json.dumps(envelope(type="ordering.order.exploded.v1")).encode()),
        "future version": raw(json.dumps(envelope(type="ordering.order.validated.v9")).encode()),
        "10 MB": raw(json.dumps(envelope(data={"padding": "x" * TEN_MB})).encode()),
        "invalid data": raw(
            json.dumps(envelope(data={"order_id": "pas un identifiant", "lines": "?"})).encode()
        ),
    }


async def publish(
    exchange: aio_pika.abc.AbstractExchange, messages: list[aio_pika.Message]
) -> None:
    """In order, each confirmed by the broker before the next."""
    for message in messages:
        await exchange.publish(message, routing_key=VALIDATED, mandatory=True, timeout=30)


def poison_lines(service: ServiceProcess) -> list[dict[str, Any]]:
    return [r for r in service.log_records() if r.get("event") == "poison_message"]


@asynccontextmanager
async def connections(
    database_url: str, amqp_url: str
) -> AsyncIterator[tuple[asyncpg.Connection, aio_pika.abc.AbstractConnection]]:
    """A database and a broker connection for the test, closed after it (if the test fails, the
    `fault_stack` fixture prints what every process logged: the poison tells what went wrong)."""
    db = await asyncpg.connect(database_url)
    connection = await aio_pika.connect(amqp_url)
    try:
        yield db, connection
    finally:
        await connection.close()
        await db.close()


async def test_poison_messages_are_set_aside_and_good_ones_behind_them_handled(
    fault_stack: FaultStack, database_url: str, amqp_url: str, events_exchange: str
) -> None:
    stack = fault_stack
    # No sender (it would try to mail 500 strangers): the queued mails are the effect counted.
    consumers = {
        name: stack.process(name, "worker", NOTIFICATIONS_SENDER_POLL_SECONDS="3600")
        for name in CONSUMERS
    }
    await stack.start(*consumers.values())
    prefix = events_exchange.removesuffix("vrac.events")
    poison = poison_messages()
    users = [uuid.uuid4() for _ in range(GOOD)]
    async with connections(database_url, amqp_url) as (db, connection):

        async def count(sql: str, *args: object) -> int:
            return int(await db.fetchval(sql, *args))

        channel = await connection.channel(publisher_confirms=True)
        exchange = await declare_events_exchange(channel, events_exchange)
        await publish(exchange, list(poison.values()))
        future = envelope(type="ordering.order.validated.v9")
        await exchange.publish(
            raw(json.dumps(future).encode()),
            routing_key="ordering.order.validated.v9",
            mandatory=True,
            timeout=30,
        )
        good = [good_event(user) for user in users]
        for start in range(0, GOOD, 50):
            await asyncio.gather(
                *(
                    exchange.publish(m, routing_key=VALIDATED, mandatory=True, timeout=30)
                    for m in good[start : start + 50]
                )
            )

        effect_sql = {
            "logistics order sizes": (
                "SELECT count(*) FROM logistics.order_sizes WHERE distribution_id = $1"
            ),
            "notifications orders": (
                "SELECT count(*) FROM notifications.orders WHERE distribution_id = $1"
            ),
            "notifications queued mails": (
                "SELECT count(*) FROM notifications.email_outbox"
                " WHERE (context->>'distribution_id')::uuid = $1"
            ),
        }

        async def all_applied() -> bool:
            for sql in effect_sql.values():
                if await count(sql, DISTRIBUTION) < GOOD:
                    return False
            return True

        await wait_until(all_applied, 45, "the good messages applied", every=0.5)

        async def poison_logged() -> bool:
            return all(len(poison_lines(s)) >= len(poison) for s in consumers.values())

        await wait_until(poison_logged, 10, "a poison_message line per message and consumer")
        await asyncio.sleep(1)  # late duplicates, if any

        effects = {name: await count(sql, DISTRIBUTION) for name, sql in effect_sql.items()}
        inbox = {
            name: await count(f"SELECT count(*) FROM {name}.inbox WHERE consumer = $1", name)
            for name in CONSUMERS
        }
        dead_lettered: dict[str, int] = {}
        for name in CONSUMERS:
            dlq = await channel.declare_queue(f"{prefix}{name}.dlq", passive=True)
            dead_lettered[name] = dlq.declaration_result.message_count or 0
        parked_queue = await channel.declare_queue(events_exchange + UNROUTED_SUFFIX, passive=True)
        parked = parked_queue.declaration_result.message_count or 0
        logged = {name: len(poison_lines(s)) for name, s in consumers.items()}
        handled = {name: await _metric(s, "handled") for name, s in consumers.items()}
        reasons = {
            str(r.get("reason", ""))[:70] for s in consumers.values() for r in poison_lines(s)
        }

    lost, duplicated = lost_and_duplicated(effects, expected=GOOD)
    print()
    print(
        f"FAULT poison: lost={lost} duplicated={duplicated}"
        f" dead_lettered={sum(dead_lettered.values())}"
        f" ({', '.join(f'{k} {v}' for k, v in dead_lettered.items())})"
        f" poison_log_lines={sum(logged.values())} parked_unrouted={parked}"
        f" poison_kinds={len(poison)} good={GOOD}"
    )
    print("effects: " + ", ".join(f"{k} {v}" for k, v in effects.items()))
    print("inbox rows: " + ", ".join(f"{k} {v}" for k, v in inbox.items()))
    print("handled (metric): " + ", ".join(f"{k} {v}" for k, v in handled.items()))
    print("poison kinds: " + "; ".join(poison))
    for reason in sorted(reasons):
        print(f"  reason: {' '.join(reason.split())}")
    assert lost == 0 and duplicated == 0, effects
    assert inbox == {name: GOOD for name in CONSUMERS}, inbox
    assert dead_lettered == {name: len(poison) for name in CONSUMERS}, dead_lettered
    assert logged == {name: len(poison) for name in CONSUMERS}, logged
    assert parked == 1


async def test_deeply_nested_json_is_dead_lettered(
    fault_stack: FaultStack, database_url: str, amqp_url: str, events_exchange: str
) -> None:
    """`[[[[…` 100,000 deep: `json.loads` raises RecursionError, which is not a ValueError. It
    must be dead-lettered like any other unparsable body, not left unacknowledged on the channel
    (each such message would hold one of the consumer's prefetch slots until it disconnects)."""
    stack = fault_stack
    consumer = stack.process("logistics", "worker")
    await stack.start(consumer)
    prefix = events_exchange.removesuffix("vrac.events")
    users = [uuid.uuid4() for _ in range(20)]
    async with connections(database_url, amqp_url) as (db, connection):
        channel = await connection.channel(publisher_confirms=True)
        exchange = await declare_events_exchange(channel, events_exchange)
        await publish(exchange, [raw(b"[" * 100_000), *(good_event(u) for u in users)])

        async def applied() -> bool:
            sql = "SELECT count(*) FROM logistics.order_sizes WHERE user_id = ANY($1::uuid[])"
            return int(await db.fetchval(sql, users)) == len(users)

        await wait_until(applied, 20, "the good messages applied")
        await asyncio.sleep(1)
        dlq = await channel.declare_queue(f"{prefix}logistics.dlq", passive=True)
        dead_lettered = dlq.declaration_result.message_count or 0
        logged = len(poison_lines(consumer))
    print(f"\ndeeply nested JSON: dead_lettered={dead_lettered} poison_log_lines={logged}")
    assert (dead_lettered, logged) == (1, 1), consumer.tail()


async def _metric(service: ServiceProcess, outcome: str) -> int:
    value: Awaitable[float] = service.metric(
        "consumer_messages_total", consumer=service.name, outcome=outcome
    )
    return int(await value)
