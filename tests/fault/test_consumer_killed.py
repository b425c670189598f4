"""Fault 3: a consumer killed before its commit, and after its commit but before its ack.

Every service is a real process; the consumer under test is notifications' `worker`, which
turns `ordering.order.validated.v1` into a queued mail (its inbox row, its order row, its
email_outbox row, in one transaction), and later sends it.

- Before the commit: a trigger on `notifications.email_outbox` holds the consumer's insert for
  the first member; the worker is killed with `kill -9` while its transaction is open. Postgres
  rolls it back, the broker redelivers the unacknowledged message to the next worker: one effect.
- After the commit, before the ack: the next worker reaches the broker through a proxy of the
  test (tests.support.freeze_proxy) which stops passing on what the worker sends; the second
  member's order is consumed and committed, its ack held by the proxy, and the worker is killed.
  The broker never got the ack and redelivers; the inbox drops the twin: one effect.

The killed workers never send mail (see QUIET_SENDER); the last one sends both order mails, each
exactly once.
"""

import asyncio
from functools import partial
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from shared.demo import DEMO_GROUPS
from tests.fault.effects import lost_and_duplicated
from tests.support.fault_stack import (
    FaultStack,
    Member,
    Order,
    at_least,
    held_sessions,
    hold_rows,
    mails_sent,
    notice_dead_clients,
    order_mail_events,
    release_hold,
    sign_up,
    validate_order,
    wait_until,
)
from tests.support.freeze_proxy import FreezeProxy
from tests.support.processes import free_port

GROUP = DEMO_GROUPS[0].id
# The workers the test kills never send mail (a kill between the SMTP server's 250 and the
# sender's commit would double a mail, a window of the sender, not of the consumer): nothing
# listens on their SMTP port, and after a failed try their senders sleep for an hour. What they
# reschedule comes due again at once for the last worker.
QUIET_SENDER = {
    "NOTIFICATIONS_SENDER_POLL_SECONDS": "3600",
    "NOTIFICATIONS_SMTP_PORT": str(free_port()),
    "NOTIFICATIONS_RETRY_BASE_SECONDS": "0.1",
    "NOTIFICATIONS_RETRY_MAX_SECONDS": "0.5",
}


def through(amqp_url: str, port: int) -> str:
    parts = urlsplit(amqp_url)
    netloc = parts.netloc.rsplit("@", 1)
    host = f"127.0.0.1:{port}"
    return urlunsplit(parts._replace(netloc=f"{netloc[0]}@{host}" if len(netloc) == 2 else host))


async def test_consumer_killed_before_commit_and_before_ack(
    fault_stack: FaultStack, database_url: str, amqp_url: str
) -> None:
    stack = fault_stack
    broker = urlsplit(amqp_url)
    proxy = FreezeProxy(broker.hostname or "127.0.0.1", broker.port or 5672)
    await proxy.start()
    db = await asyncpg.connect(database_url)

    async def count(sql: str, *args: object) -> int:
        return int(await db.fetchval(sql, *args))

    async def queued_mails(member: Member) -> int:
        return len(await order_mail_events(db, member.user_id))

    async def held(expected: int) -> bool:
        return await held_sessions(db) == expected

    try:
        await notice_dead_clients(db)
        first = stack.process("notifications", "worker", **QUIET_SENDER)
        # Its queue must be bound before ordering publishes (the seed only writes rows).
        await asyncio.gather(stack.seed("accounts", "ordering"), stack.start(first))
        accounts = stack.process("accounts", "all")
        ordering = stack.process("ordering", "all")
        await stack.start(accounts, ordering)
        before_commit, before_ack = [await sign_up(accounts.base, GROUP) for _ in range(2)]

        # --- killed before its commit ----------------------------------------------------------
        await hold_rows(
            db,
            "notifications.email_outbox",
            "INSERT",
            f"NEW.recipient_id = '{before_commit.user_id}' AND NEW.kind = 'order_confirmation'",
        )
        order_a = await validate_order(ordering.base, GROUP, before_commit)
        await wait_until(lambda: held(1), 20, "the consumer held in its transaction")
        await first.kill9()
        await wait_until(lambda: held(0), 20, "the consumer's transaction rolled back")
        rolled_back = await queued_mails(before_commit) == 0
        await release_hold(db, "notifications.email_outbox")

        # --- killed after its commit, before its ack -------------------------------------------
        second = stack.process(
            "notifications",
            "worker",
            NOTIFICATIONS_AMQP_URL=through(amqp_url, proxy.port),
            **QUIET_SENDER,
        )
        await stack.start(second)
        # The redelivered first message is applied by this worker; let its ack reach the broker.
        await wait_until(
            lambda: at_least(queued_mails(before_commit), 1), 20, "the redelivery applied"
        )
        redelivered_to_second = int(
            await second.metric(
                "consumer_messages_total", consumer="notifications", outcome="handled"
            )
        )
        await asyncio.sleep(1)
        proxy.freeze()
        order_b = await validate_order(ordering.base, GROUP, before_ack)
        await wait_until(lambda: at_least(queued_mails(before_ack), 1), 20, "the commit")
        await second.kill9()
        held_back = proxy.held_bytes

        third = stack.process("notifications", "worker")
        await stack.start(third)

        async def twins() -> int:
            return int(
                await third.metric(
                    "consumer_messages_total", consumer="notifications", outcome="duplicate"
                )
            )

        await wait_until(lambda: at_least(twins(), 1), 20, "the unacknowledged twin")

        async def mailed(member: Member) -> bool:
            return await mails_sent(db, await order_mail_events(db, member.user_id)) >= 1

        for member in (before_commit, before_ack):
            await wait_until(partial(mailed, member), 30, "the order mail")
        await asyncio.sleep(1.5)  # a second mail, if any, would come within the sender's poll

        async def effects(member: Member, order: Order) -> dict[str, int]:
            event_ids = await order_mail_events(db, member.user_id)
            return {
                "inbox": await count(
                    "SELECT count(*) FROM notifications.inbox"
                    " WHERE consumer = 'notifications' AND event_id = ANY($1::uuid[])",
                    event_ids,
                ),
                "order": await count(
                    "SELECT count(*) FROM notifications.orders"
                    " WHERE distribution_id = $1 AND user_id = $2",
                    order.distribution_id,
                    order.user_id,
                ),
                "queued mail": len(event_ids),
                "mail sent": await mails_sent(db, event_ids),
            }

        found = {
            "before_commit": await effects(before_commit, order_a),
            "before_ack": await effects(before_ack, order_b),
        }
        twins_dropped = await twins()
    finally:
        await db.close()
        await proxy.close()

    print()
    results = {}
    for scenario, figures in found.items():
        results[scenario] = lost_and_duplicated(figures)
        lost, duplicated = results[scenario]
        extra = (
            f"rolled_back={int(rolled_back)} handled_by_next_worker={redelivered_to_second}"
            if scenario == "before_commit"
            else f"ack_bytes_held={held_back} twins_dropped_by_inbox={twins_dropped}"
        )
        print(
            f"FAULT consumer_killed_{scenario}: lost={lost} duplicated={duplicated} {extra}"
            f" ({', '.join(f'{k} {v}' for k, v in figures.items())})"
        )
    assert results == {"before_commit": (0, 0), "before_ack": (0, 0)}, found
    assert rolled_back, "the killed consumer's transaction was committed"
    assert held_back > 0, "the proxy held nothing back: the ack may have reached the broker"
    assert twins_dropped >= 1, "no redelivered twin was seen"
