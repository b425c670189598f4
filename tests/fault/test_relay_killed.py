"""Fault 2: the outbox relay killed between the broker's confirm and marking the row published.

Every service is a real process; ordering runs its API and its relay (`worker`) in separate
processes. A trigger on `ordering.outbox` holds the relay's `UPDATE … SET published_at` (the
broker has confirmed the event by then, subscribers already got it), the test kills the worker
with `kill -9`, removes the trigger and starts a new worker: the row is still unpublished, so the
event goes out a second time. Each consumer (logistics, notifications) must apply it once, and
the member gets one order mail.
"""

import asyncio
import collections
import uuid
from functools import partial

import asyncpg

from shared.contracts.ordering import OrderValidatedV1
from shared.demo import DEMO_GROUPS
from tests.conftest import EventSink
from tests.fault.effects import lost_and_duplicated
from tests.support.fault_stack import (
    FaultStack,
    at_least,
    held_sessions,
    hold_rows,
    mails_sent,
    notice_dead_clients,
    release_hold,
    sign_up,
    validate_order,
    wait_until,
)

VALIDATED = OrderValidatedV1.ROUTING_KEY
CONSUMERS = ("logistics", "notifications")


async def test_relay_killed_after_confirm_before_marking(
    fault_stack: FaultStack, event_sink: EventSink, database_url: str
) -> None:
    stack = fault_stack
    db = await asyncpg.connect(database_url)

    async def count(sql: str, *args: object) -> int:
        return int(await db.fetchval(sql, *args))

    async def all_published() -> bool:
        return await count("SELECT count(*) FROM ordering.outbox WHERE published_at IS NULL") == 0

    try:
        await notice_dead_clients(db)
        # Consumers first: their queues must be bound before ordering publishes anything (the
        # seed only writes to the database; the relays publish it).
        consumers = {name: stack.process(name, "worker") for name in CONSUMERS}
        api = stack.process("ordering", "api")
        await asyncio.gather(
            stack.seed("accounts", "ordering"), stack.start(*consumers.values(), api)
        )
        accounts = stack.process("accounts", "all")
        relay = stack.process("ordering", "worker")
        await stack.start(accounts, relay)
        await wait_until(all_published, 30, "the seed's events published")
        await hold_rows(
            db,
            "ordering.outbox",
            "UPDATE",
            "OLD.published_at IS NULL AND NEW.published_at IS NOT NULL"
            f" AND OLD.routing_key = '{VALIDATED}'",
        )

        member = await sign_up(accounts.base, DEMO_GROUPS[0].id)
        order = await validate_order(api.base, DEMO_GROUPS[0].id, member)

        def copies() -> list[str]:
            return [
                e["id"]
                for e in event_sink.events
                if e["type"] == VALIDATED and e["data"]["order_id"] == str(order.order_id)
            ]

        # Published and confirmed (the subscriber has it), and the relay is stuck in the UPDATE.
        await wait_until(lambda: bool(copies()), 20, "the event at the subscriber")
        event_id = uuid.UUID(copies()[0])

        async def relay_held() -> bool:
            return await held_sessions(db) == 1

        await wait_until(relay_held, 20, "the relay held in its UPDATE")

        async def consumed(schema: str) -> bool:
            sql = f"SELECT count(*) FROM {schema}.inbox WHERE event_id = $1"
            return await count(sql, event_id) == 1

        for name in CONSUMERS:
            await wait_until(partial(consumed, name), 20, f"{name} applied the event")

        await relay.kill9()

        async def released() -> bool:
            return await held_sessions(db) == 0

        # Postgres notices the vanished client, rolls the UPDATE back and frees the row.
        await wait_until(released, 20, "the held session ended")
        marked = await db.fetchval(
            "SELECT published_at FROM ordering.outbox WHERE event_id = $1", event_id
        )
        assert marked is None, "the row was marked published although the relay was killed"
        await release_hold(db, "ordering.outbox")

        await relay.start()
        await relay.wait_ready()
        await wait_until(lambda: len(copies()) >= 2, 20, "the event published again")
        await wait_until(all_published, 20, "the row marked published")

        async def twins(name: str) -> int:
            service = consumers[name]
            return int(
                await service.metric("consumer_messages_total", consumer=name, outcome="duplicate")
            )

        async def twin_dropped(name: str) -> bool:
            return await twins(name) >= 1

        for name in CONSUMERS:
            await wait_until(partial(twin_dropped, name), 20, f"{name} took the second copy")

        await wait_until(lambda: at_least(mails_sent(db, [event_id]), 1), 30, "the order mail")
        await asyncio.sleep(1.5)  # a second mail, if any, would come within the sender's poll

        effects = {
            "logistics inbox": await count(
                "SELECT count(*) FROM logistics.inbox WHERE event_id = $1", event_id
            ),
            "logistics order size": await count(
                "SELECT count(*) FROM logistics.order_sizes"
                " WHERE distribution_id = $1 AND user_id = $2",
                order.distribution_id,
                order.user_id,
            ),
            "notifications inbox": await count(
                "SELECT count(*) FROM notifications.inbox WHERE event_id = $1", event_id
            ),
            "notifications order": await count(
                "SELECT count(*) FROM notifications.orders"
                " WHERE distribution_id = $1 AND user_id = $2",
                order.distribution_id,
                order.user_id,
            ),
            "notifications queued mail": await count(
                "SELECT count(*) FROM notifications.email_outbox WHERE event_id = $1", event_id
            ),
            "order mail sent": await mails_sent(db, [event_id]),
        }
        twins_dropped = {name: await twins(name) for name in CONSUMERS}
    finally:
        await db.close()

    ids = collections.Counter(copies())
    transport_duplicates = sum(n - 1 for n in ids.values())
    effects_lost, effects_duplicated = lost_and_duplicated(effects)
    lost = (0 if ids else 1) + effects_lost
    duplicated = effects_duplicated + max(0, len(ids) - 1)
    print()
    print(
        f"FAULT relay_killed: lost={lost} duplicated={duplicated}"
        f" transport_duplicates={transport_duplicates}"
        f" twins_dropped_by_inbox={sum(twins_dropped.values())}"
        f" ({', '.join(f'{k} {v}' for k, v in twins_dropped.items())})"
    )
    print("effects: " + ", ".join(f"{k} {v}" for k, v in effects.items()))
    assert lost == 0 and duplicated == 0, effects
    assert transport_duplicates >= 1, "the event was not published again"
