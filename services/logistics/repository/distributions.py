"""SQL of distributions and what logistics copies from other services (members, order sizes)."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from services.logistics.domain import Window, distribution_not_found, slot_id_for, slot_starts
from shared.db import Connection, Record
from shared.distribution import DistributionTimes
from shared.queries import counted


@dataclass(frozen=True)
class Distribution(DistributionTimes):
    default_capacity: int


@dataclass(frozen=True)
class Slot:
    """A slot as booking sees it."""

    id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    capacity: int
    booked: int


_DISTRIBUTION = (
    "SELECT id, group_id, starts_at, ends_at, opens_at, closes_at, default_capacity,"
    " now() AS now FROM distributions WHERE id = $1 AND group_id = $2"
)
_DISTRIBUTION_FOR_UPDATE = (
    "SELECT id, group_id, starts_at, ends_at, opens_at, closes_at, default_capacity,"
    " now() AS now FROM distributions WHERE id = $1 AND group_id = $2 FOR UPDATE"
)


def window_of(row: Record) -> Window:
    """The window of a row that selects the distribution's four times and `now()` AS now."""
    return Window(row["opens_at"], row["closes_at"], row["starts_at"], row["ends_at"], row["now"])


async def distribution_window(
    conn: Connection, group_id: uuid.UUID, distribution_id: uuid.UUID, lock: bool = False
) -> tuple[Distribution, Window]:
    """The distribution of that group (404 otherwise) and its window at the database clock."""
    row = await conn.fetchrow(
        _DISTRIBUTION_FOR_UPDATE if lock else _DISTRIBUTION, distribution_id, group_id
    )
    if row is None:
        raise distribution_not_found()
    return Distribution.from_columns(row), window_of(row)


def slot_of(row: Record) -> Slot | None:
    """The slot of a row that selects it as `slot_id`, `slot_starts_at`, `slot_ends_at`,
    `capacity`, `slot_booked` (a LEFT JOIN: None when it is not one)."""
    if row["slot_id"] is None:
        return None
    return Slot(
        id=row["slot_id"],
        starts_at=row["slot_starts_at"],
        ends_at=row["slot_ends_at"],
        capacity=row["capacity"],
        booked=row["slot_booked"],
    )


async def window_and_slot(
    conn: Connection, group_id: uuid.UUID, distribution_id: uuid.UUID, slot_id: uuid.UUID
) -> tuple[Window, Slot | None]:
    """The distribution's window (404 for another group's) and the slot if it is one of its own
    (None otherwise), in one round trip (moving a booking; booking itself: book_open_slot)."""
    row = await conn.fetchrow(
        "SELECT d.starts_at, d.ends_at, d.opens_at, d.closes_at, now() AS now, s.id AS slot_id,"
        " s.starts_at AS slot_starts_at, s.ends_at AS slot_ends_at, s.capacity,"
        " s.booked AS slot_booked"
        " FROM distributions d LEFT JOIN slots s ON s.id = $3 AND s.distribution_id = d.id"
        " WHERE d.id = $1 AND d.group_id = $2",
        distribution_id,
        group_id,
        slot_id,
    )
    if row is None:
        raise distribution_not_found()
    return window_of(row), slot_of(row)


async def upsert_distribution(
    conn: Connection,
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
    created = await counted(
        conn,
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


async def upsert_order_size(
    conn: Connection,
    distribution_id: uuid.UUID,
    user_id: uuid.UUID,
    items: int,
    total_cents: int,
    at: datetime,
) -> None:
    """The size of a member's order, for volunteers; an older event never overwrites a newer."""
    await conn.execute(
        "INSERT INTO order_sizes (distribution_id, user_id, items, total_cents, at)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (distribution_id, user_id) DO UPDATE"
        " SET items = EXCLUDED.items, total_cents = EXCLUDED.total_cents, at = EXCLUDED.at"
        " WHERE order_sizes.at <= EXCLUDED.at",
        distribution_id,
        user_id,
        items,
        total_cents,
        at,
    )


async def upsert_member(
    conn: Connection, user_id: uuid.UUID, first_name: str, postcode: str | None
) -> None:
    await conn.execute(
        "INSERT INTO members (user_id, first_name, postcode) VALUES ($1, $2, $3)"
        " ON CONFLICT (user_id) DO UPDATE SET first_name = EXCLUDED.first_name,"
        " postcode = EXCLUDED.postcode, updated_at = now()",
        user_id,
        first_name,
        postcode,
    )
