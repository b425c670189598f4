"""The payments ledger: debits of orders and corrections, credits of payments."""

import uuid

from services.ordering.repository.rows import LedgerEntry, many, one
from shared.db import Connection


async def add_ledger_entry(
    conn: Connection,
    group_id: uuid.UUID,
    user_id: uuid.UUID,
    kind: str,
    amount_cents: int,
    *,
    order_id: uuid.UUID | None = None,
    distribution_id: uuid.UUID | None = None,
    payment_id: uuid.UUID | None = None,
    method: str | None = None,
    recorded_by: uuid.UUID | None = None,
    note: str | None = None,
) -> LedgerEntry:
    entry = one(
        LedgerEntry,
        await conn.fetchrow(
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
        ),
    )
    assert entry is not None, "INSERT … RETURNING answers its row"
    return entry


async def ledger(conn: Connection, group_id: uuid.UUID, user_id: uuid.UUID) -> list[LedgerEntry]:
    """A member's entries in a group, newest first."""
    return many(
        LedgerEntry,
        await conn.fetch(
            "SELECT entry_id, kind, amount_cents, method, order_id, distribution_id, payment_id,"
            " note, created_at FROM ledger_entries WHERE group_id = $1 AND user_id = $2"
            " ORDER BY id DESC",
            group_id,
            user_id,
        ),
    )


async def balance(conn: Connection, group_id: uuid.UUID, user_id: uuid.UUID) -> int:
    value = await conn.fetchval(
        "SELECT coalesce(sum(amount_cents), 0)::int FROM ledger_entries"
        " WHERE group_id = $1 AND user_id = $2",
        group_id,
        user_id,
    )
    return int(value)


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
