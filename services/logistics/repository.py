"""Explicit asyncpg SQL of the logistics schema (search_path = logistics)."""

import uuid
from datetime import datetime
from typing import Any

from services.logistics.domain import Window, distribution_not_found, slot_id_for, slot_starts

Conn = Any


async def distribution_window(
    conn: Conn, group_id: uuid.UUID, distribution_id: uuid.UUID, lock: bool = False
) -> tuple[Any, Window]:
    """The distribution of that group (404 otherwise) and its window at the database clock."""
    row = await conn.fetchrow(
        "SELECT id, group_id, starts_at, ends_at, opens_at, closes_at, default_capacity,"
        " now() AS now FROM distributions WHERE id = $1 AND group_id = $2"
        + (" FOR UPDATE" if lock else ""),
        distribution_id,
        group_id,
    )
    if row is None:
        raise distribution_not_found()
    window = Window(row["opens_at"], row["closes_at"], row["starts_at"], row["ends_at"], row["now"])
    return row, window


async def window_and_slot(
    conn: Conn, group_id: uuid.UUID, distribution_id: uuid.UUID, slot_id: uuid.UUID
) -> tuple[Window, Any]:
    """The distribution's window (404 for another group's) and the slot if it is one of its own
    (None otherwise), in one round trip: booking is the hot path of a slot-opening rush."""
    row = await conn.fetchrow(
        "SELECT d.starts_at, d.ends_at, d.opens_at, d.closes_at, now() AS now, s.id AS slot_id,"
        " s.starts_at AS slot_starts_at, s.ends_at AS slot_ends_at, s.capacity, s.booked"
        " FROM distributions d LEFT JOIN slots s ON s.id = $3 AND s.distribution_id = d.id"
        " WHERE d.id = $1 AND d.group_id = $2",
        distribution_id,
        group_id,
        slot_id,
    )
    if row is None:
        raise distribution_not_found()
    window = Window(row["opens_at"], row["closes_at"], row["starts_at"], row["ends_at"], row["now"])
    if row["slot_id"] is None:
        return window, None
    slot = {
        "id": row["slot_id"],
        "starts_at": row["slot_starts_at"],
        "ends_at": row["slot_ends_at"],
        "capacity": row["capacity"],
        "booked": row["booked"],
    }
    return window, slot


async def insert_booking(
    conn: Conn, distribution_id: uuid.UUID, user_id: uuid.UUID, slot_id: uuid.UUID
) -> tuple[bool, int | None]:
    """(inserted, places booked now): the booking row and the conditional increment of its slot
    in one statement. Not inserted: the member already holds a slot of this distribution (the
    primary key makes twin requests wait for each other). Booked None: the slot is full, and the
    caller must roll back the inserted row."""
    row = await conn.fetchrow(
        "WITH booking AS (INSERT INTO bookings (distribution_id, user_id, slot_id)"
        " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING slot_id),"
        " taken AS (UPDATE slots SET booked = booked + 1"
        " WHERE id = (SELECT slot_id FROM booking) AND booked < capacity RETURNING booked)"
        " SELECT EXISTS (SELECT 1 FROM booking) AS inserted, (SELECT booked FROM taken) AS booked",
        distribution_id,
        user_id,
        slot_id,
    )
    return bool(row["inserted"]), row["booked"]


async def upsert_distribution(
    conn: Conn,
    *,
    distribution_id: uuid.UUID,
    group_id: uuid.UUID,
    starts_at: datetime,
    ends_at: datetime,
    opens_at: datetime,
    closes_at: datetime,
    state: str | None,
    default_capacity: int,
    slot_minutes: int,
) -> int:
    """Create or update a distribution and make its slots match its window.

    Returns the number of slots created now (0 when the same window is delivered again).
    """
    await conn.execute(
        "INSERT INTO distributions (id, group_id, starts_at, ends_at, opens_at, closes_at,"
        " state, default_capacity) VALUES ($1, $2, $3, $4, $5, $6, coalesce($7, 'scheduled'), $8)"
        " ON CONFLICT (id) DO UPDATE SET starts_at = EXCLUDED.starts_at,"
        " ends_at = EXCLUDED.ends_at, opens_at = EXCLUDED.opens_at,"
        " closes_at = EXCLUDED.closes_at, state = coalesce($7, distributions.state),"
        " updated_at = now()",
        distribution_id,
        group_id,
        starts_at,
        ends_at,
        opens_at,
        closes_at,
        state,
        default_capacity,
    )
    cut = slot_starts(starts_at, ends_at, slot_minutes)
    starts = [s for s, _ in cut]
    created: int = await conn.fetchval(
        "WITH new AS (INSERT INTO slots (id, distribution_id, starts_at, ends_at, capacity)"
        " SELECT i, $1, s, e, d.default_capacity"
        " FROM unnest($2::uuid[], $3::timestamptz[], $4::timestamptz[]) AS t(i, s, e),"
        " distributions d WHERE d.id = $1"
        " ON CONFLICT (distribution_id, starts_at) DO NOTHING RETURNING 1)"
        " SELECT count(*) FROM new",
        distribution_id,
        [slot_id_for(distribution_id, s) for s in starts],
        starts,
        [e for _, e in cut],
    )
    # A rescheduled window: drop the slots outside it that nobody booked.
    await conn.execute(
        "DELETE FROM slots WHERE distribution_id = $1 AND NOT (starts_at = ANY($2::timestamptz[]))"
        " AND NOT EXISTS (SELECT 1 FROM bookings b WHERE b.slot_id = slots.id)",
        distribution_id,
        starts,
    )
    return created


REQUEST_COLUMNS = """
    r.id AS request_id, r.requester_id, r.volunteer_id, r.requested_at,
    coalesce(m.first_name, '') AS first_name, m.postcode,
    o.items AS order_items, o.total_cents AS order_total_cents,
    c.consent_fields, c.consented_at, c.consent_text_version
"""
REQUEST_FROM = """
    FROM delivery_requests r
    LEFT JOIN members m ON m.user_id = r.requester_id
    LEFT JOIN order_sizes o ON o.distribution_id = r.distribution_id
                           AND o.user_id = r.requester_id
    LEFT JOIN pickup_choices c ON c.distribution_id = r.distribution_id
                              AND c.user_id = r.requester_id
"""


async def requests_of(conn: Conn, distribution_id: uuid.UUID) -> list[Any]:
    rows: list[Any] = await conn.fetch(
        f"SELECT {REQUEST_COLUMNS} {REQUEST_FROM}"
        " WHERE r.distribution_id = $1 ORDER BY r.requested_at, r.id",
        distribution_id,
    )
    return rows


async def request_row(conn: Conn, request_id: uuid.UUID) -> Any:
    return await conn.fetchrow(
        f"SELECT {REQUEST_COLUMNS}, r.distribution_id, r.group_id {REQUEST_FROM} WHERE r.id = $1",
        request_id,
    )
