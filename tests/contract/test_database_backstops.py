"""The database's own backstops behind the services' invariants (the « Invariants » tables of the
service READMEs): whatever a future change to the Python does, these statements are refused."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest

from shared.db import Connection, connect


@pytest.fixture
async def admin(database_url: str) -> AsyncIterator[Connection]:
    conn = await connect(database_url, "public")
    yield conn
    await conn.close()


async def refused(conn: Connection, error: type[Exception], sql: str, *args: object) -> str:
    """Run `sql` in a savepoint that is rolled back; return the constraint or message."""
    with pytest.raises(error) as caught:
        async with conn.transaction():
            await conn.execute(sql, *args)
    return getattr(caught.value, "constraint_name", None) or str(caught.value)


async def test_a_slot_is_never_overbooked(admin: Connection) -> None:
    distribution, slot = uuid.uuid4(), uuid.uuid4()
    starts = datetime(2026, 5, 29, 11, tzinfo=UTC)
    await admin.execute(
        "INSERT INTO logistics.distributions"
        " (id, group_id, starts_at, ends_at, opens_at, closes_at, default_capacity)"
        " VALUES ($1, $2, $3::timestamptz, $3::timestamptz + interval '7 hours',"
        " $3::timestamptz - interval '7 days', $3::timestamptz - interval '1 day', 2)",
        distribution,
        uuid.uuid4(),
        starts,
    )
    await admin.execute(
        "INSERT INTO logistics.slots (id, distribution_id, starts_at, ends_at, capacity, booked)"
        " VALUES ($1, $2, $3::timestamptz, $3::timestamptz + interval '15 minutes', 2, 2)",
        slot,
        distribution,
        starts,
    )
    for sql in (
        "UPDATE logistics.slots SET booked = booked + 1 WHERE id = $1",
        "UPDATE logistics.slots SET booked = -1 WHERE id = $1",
    ):
        constraint = await refused(admin, asyncpg.CheckViolationError, sql, slot)
        assert constraint == "slot_not_overbooked"


async def test_stock_never_goes_below_zero(admin: Connection) -> None:
    product = uuid.uuid4()
    await admin.execute(
        "INSERT INTO ordering.products"
        " (id, group_id, name, category, unit_label, unit_price_cents, stock)"
        " VALUES ($1, $2, 'Lentilles vertes', 'Légumineuses', 'kg', 420, 0.5)",
        product,
        uuid.uuid4(),
    )
    constraint = await refused(
        admin,
        asyncpg.CheckViolationError,
        "UPDATE ordering.products SET stock = stock - 0.501 WHERE id = $1",
        product,
    )
    assert constraint == "products_stock_check"


async def test_the_ledger_is_append_only(admin: Connection) -> None:
    user, anonymous = uuid.uuid4(), uuid.uuid4()
    entry = await admin.fetchval(
        "INSERT INTO ordering.ledger_entries (entry_id, group_id, user_id, kind, amount_cents)"
        " VALUES ($1, $2, $3, 'order', -968) RETURNING id",
        uuid.uuid4(),
        uuid.uuid4(),
        user,
    )
    for sql in (
        "DELETE FROM ordering.ledger_entries WHERE id = $1",
        "UPDATE ordering.ledger_entries SET amount_cents = 0 WHERE id = $1",
        "UPDATE ordering.ledger_entries SET created_at = now() - interval '1 day' WHERE id = $1",
    ):
        message = await refused(admin, asyncpg.RaiseError, sql, entry)
        assert "append-only" in message
    # Erasure anonymises: the user id, and only it, may change.
    await admin.execute(
        "UPDATE ordering.ledger_entries SET user_id = $2 WHERE id = $1", entry, anonymous
    )
    row = await admin.fetchrow(
        "SELECT user_id, amount_cents FROM ordering.ledger_entries WHERE id = $1", entry
    )
    assert row is not None
    assert (row["user_id"], row["amount_cents"]) == (anonymous, -968)


async def test_one_mail_per_event_recipient_and_kind(admin: Connection) -> None:
    event, recipient = uuid.uuid4(), uuid.uuid4()
    insert = (
        "INSERT INTO notifications.email_outbox (event_id, recipient_id, kind) VALUES ($1, $2, $3)"
    )
    await admin.execute(insert, event, recipient, "order_confirmation")
    constraint = await refused(
        admin, asyncpg.UniqueViolationError, insert, event, recipient, "order_confirmation"
    )
    assert constraint == "email_outbox_once"
    # Another kind of mail about the same event to the same person is another mail.
    await admin.execute(insert, event, recipient, "delivery_assigned")
    assert (
        await admin.fetchval(
            "SELECT count(*) FROM notifications.email_outbox WHERE event_id = $1", event
        )
        == 2
    )


async def test_one_reminder_per_distribution(admin: Connection) -> None:
    distribution = uuid.uuid4()
    insert = "INSERT INTO notifications.reminders_sent (distribution_id) VALUES ($1)"
    await admin.execute(insert, distribution)
    constraint = await refused(admin, asyncpg.UniqueViolationError, insert, distribution)
    assert constraint == "reminders_sent_pkey"
