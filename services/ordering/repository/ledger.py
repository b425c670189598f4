"""The payments ledger: debits of orders and corrections, credits of payments."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from services.ordering.repository.rows import KeptAnswer
from shared.clients.ordering import LedgerEntry, LedgerKind
from shared.db import Connection
from shared.outbox import OutboxRow
from shared.queries import row_as, rows_as

# An entry is read as the API answers it (views.ledger_json): the answer's model, declared once
# in shared/clients/ordering.py (pydantic, so `kind` is checked against LedgerKind when read).


async def add_ledger_entry(
    conn: Connection,
    group_id: uuid.UUID,
    user_id: uuid.UUID,
    kind: LedgerKind,
    amount_cents: int,
    *,
    order_id: uuid.UUID | None = None,
    distribution_id: uuid.UUID | None = None,
    payment_id: uuid.UUID | None = None,
    method: str | None = None,
    recorded_by: uuid.UUID | None = None,
    note: str | None = None,
) -> LedgerEntry:
    entry = await row_as(
        conn,
        LedgerEntry,
        "INSERT INTO ledger_entries (entry_id, group_id, user_id, kind, amount_cents,"
        " order_id, distribution_id, payment_id, method, recorded_by, note)"
        " VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        " RETURNING entry_id, kind, amount_cents, method, order_id, distribution_id,"
        " payment_id, note, created_at",
        group_id,
        user_id,
        kind,
        amount_cents,
        order_id,
        distribution_id,
        payment_id,
        method,
        recorded_by,
        note,
    )
    assert entry is not None, "INSERT … RETURNING answers its row"
    return entry


async def ledger(conn: Connection, group_id: uuid.UUID, user_id: uuid.UUID) -> list[LedgerEntry]:
    """A member's entries in a group, newest first."""
    return await rows_as(
        conn,
        LedgerEntry,
        "SELECT entry_id, kind, amount_cents, method, order_id, distribution_id, payment_id,"
        " note, created_at FROM ledger_entries WHERE group_id = $1 AND user_id = $2"
        " ORDER BY id DESC",
        group_id,
        user_id,
    )


async def paid_by_distribution(
    conn: Connection, distribution_ids: list[uuid.UUID], user_ids: list[uuid.UUID]
) -> dict[tuple[uuid.UUID, uuid.UUID], int]:
    """Payments recorded per (distribution, member)."""
    rows = await conn.fetch(
        "SELECT distribution_id, user_id, sum(amount_cents)::int AS paid FROM ledger_entries"
        " WHERE kind = 'payment' AND distribution_id = ANY($1::uuid[])"
        " AND user_id = ANY($2::uuid[]) GROUP BY distribution_id, user_id",
        distribution_ids,
        user_ids,
    )
    return {(r["distribution_id"], r["user_id"]): int(r["paid"]) for r in rows}


@dataclass(frozen=True)
class PaymentStart:
    """The first statement of a payment. `claimed` False: its Idempotency-Key was used before
    (read the kept answer: shared.idempotency.kept). `distribution_found` False: the distribution
    named is not this group's. `db_now`: the entry's time (now() holds for the transaction)."""

    claimed: bool
    distribution_found: bool
    db_now: datetime


async def payment_start(
    conn: Connection,
    scope: str,
    key: str | None,
    group_id: uuid.UUID,
    distribution_id: uuid.UUID | None,
) -> PaymentStart:
    """The Idempotency-Key claim (none without a key; a twin still running is waited for), the
    distribution check and the database clock, in one statement."""
    row = await row_as(
        conn,
        PaymentStart,
        "WITH claim AS (INSERT INTO idempotency_keys (scope, key) SELECT $1::text, $2::text"
        " WHERE $2::text IS NOT NULL ON CONFLICT DO NOTHING RETURNING true)"
        " SELECT $2::text IS NULL OR EXISTS (SELECT FROM claim) AS claimed,"
        " $4::uuid IS NULL OR EXISTS (SELECT FROM distributions d WHERE d.id = $4::uuid"
        " AND d.group_id = $3::uuid) AS distribution_found, now() AS db_now",
        scope,
        key,
        group_id,
        distribution_id,
    )
    assert row is not None, "a SELECT without FROM answers one row"
    return row


async def save_payment(
    conn: Connection,
    entry: LedgerEntry,
    group_id: uuid.UUID,
    user_id: uuid.UUID,
    recorded_by: uuid.UUID,
    event: OutboxRow,
    kept: KeptAnswer | None,
) -> int:
    """The payment's entry (its time is now(), the `db_now` of `payment_start`), its event and
    the kept answer (`kept.body` with the balance added), in one statement: the member's balance
    in the group after it."""
    balance: int = await conn.fetchval(
        "WITH entry AS (INSERT INTO ledger_entries (entry_id, group_id, user_id, kind,"
        " amount_cents, distribution_id, payment_id, method, recorded_by)"
        " VALUES ($1, $2, $3, 'payment', $4::int, $5, $6, $7, $8)),"
        " event AS (INSERT INTO outbox (event_id, routing_key, body) VALUES ($9, $10, $11)),"
        # The statement does not see its own entry: the balance adds it.
        " balance AS (SELECT coalesce(sum(e.amount_cents), 0)::int + $4::int AS cents"
        " FROM ledger_entries e WHERE e.group_id = $2 AND e.user_id = $3),"
        " kept AS (UPDATE idempotency_keys k SET status = $14,"
        " response = $15::jsonb || jsonb_build_object('balance_cents', (SELECT cents FROM balance))"
        " WHERE k.scope = $12 AND k.key = $13)"
        " SELECT cents FROM balance",
        entry.entry_id,
        group_id,
        user_id,
        entry.amount_cents,
        entry.distribution_id,
        entry.payment_id,
        entry.method,
        recorded_by,
        event.event_id,
        event.routing_key,
        event.body,
        *KeptAnswer.columns(kept),
    )
    return balance
