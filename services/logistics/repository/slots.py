"""SQL of slots and bookings. « A slot never has more bookings than its capacity » is enforced
here on purpose: a conditional increment (`booked < capacity`) with the table's CHECK as a
backstop, so concurrent bookings never need a lock held across round trips."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from services.logistics.domain import Window, distribution_not_found
from services.logistics.models import SlotAttendance
from services.logistics.repository.distributions import Distribution, Slot, slot_of, window_of
from shared.db import Connection
from shared.queries import row_as, rows_as


@dataclass(frozen=True)
class SlotRow:
    id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    capacity: int
    booked: int
    capacity_overridden: bool


@dataclass(frozen=True)
class BookedSlot:
    """The slot a member booked, and the group of its distribution."""

    id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    group_id: uuid.UUID


@dataclass(frozen=True)
class ReleasedBooking:
    slot_id: uuid.UUID
    distribution_id: uuid.UUID
    group_id: uuid.UUID


@dataclass(frozen=True)
class DistributionSlots:
    """A distribution with its window, its slots in time order and the member's slot."""

    distribution: Distribution
    window: Window
    slots: list[SlotRow]
    my_slot_id: uuid.UUID | None


# One statement, one snapshot: the slots' counts and the member's booking agree with each other
# (three reads, each with its own snapshot, could show a booking in a slot not yet counted).
_DISTRIBUTION_SLOTS = (
    "SELECT d.id, d.group_id, d.starts_at, d.ends_at, d.opens_at, d.closes_at,"
    " d.default_capacity, now() AS now,"
    " ARRAY(SELECT ROW(s.id, s.starts_at, s.ends_at, s.capacity, s.booked,"
    " s.capacity_override IS NOT NULL) FROM slots s WHERE s.distribution_id = d.id"
    " ORDER BY s.starts_at) AS slots,"
    " (SELECT b.slot_id FROM bookings b WHERE b.distribution_id = d.id AND b.user_id = $3)"
    " AS my_slot_id"
    " FROM distributions d WHERE d.id = $1 AND d.group_id = $2"
)


async def distribution_slots(
    conn: Connection,
    group_id: uuid.UUID,
    distribution_id: uuid.UUID,
    user_id: uuid.UUID | None,
) -> DistributionSlots:
    """The distribution of that group (404 otherwise), its slots and `user_id`'s booked slot
    (None without a member or a booking), in one round trip."""
    row = await conn.fetchrow(_DISTRIBUTION_SLOTS, distribution_id, group_id, user_id)
    if row is None:
        raise distribution_not_found()
    return DistributionSlots(
        distribution=Distribution.from_columns(row),
        window=window_of(row),
        slots=[SlotRow(*slot) for slot in row["slots"]],
        my_slot_id=row["my_slot_id"],
    )


async def booked_slot_id_for_update(
    conn: Connection, distribution_id: uuid.UUID, user_id: uuid.UUID
) -> uuid.UUID | None:
    """The member's booked slot, the booking locked until the transaction ends (moving it)."""
    slot_id: uuid.UUID | None = await conn.fetchval(
        "SELECT slot_id FROM bookings WHERE distribution_id = $1 AND user_id = $2 FOR UPDATE",
        distribution_id,
        user_id,
    )
    return slot_id


async def booked_slot(
    conn: Connection, distribution_id: uuid.UUID, user_id: uuid.UUID
) -> BookedSlot | None:
    return await row_as(
        conn,
        BookedSlot,
        "SELECT s.id, s.starts_at, s.ends_at, d.group_id FROM bookings b"
        " JOIN slots s ON s.id = b.slot_id JOIN distributions d ON d.id = b.distribution_id"
        " WHERE b.distribution_id = $1 AND b.user_id = $2",
        distribution_id,
        user_id,
    )


@dataclass(frozen=True)
class BookingAttempt:
    """What the booking statement saw and did."""

    window: Window
    slot: Slot | None  # None: not a slot of this distribution
    # False: nothing tried (the window is not open, the slot unknown or past) or the member
    # already holds a slot of this distribution (the primary key makes twin requests wait).
    inserted: bool
    booked: int | None  # places booked now; None after an insert: full, the caller rolls back


async def book_open_slot(
    conn: Connection,
    group_id: uuid.UUID,
    distribution_id: uuid.UUID,
    user_id: uuid.UUID,
    slot_id: uuid.UUID,
) -> BookingAttempt:
    """A booking in one statement: the distribution's window (404 for another group's) and the
    slot if it is one of its own, then, when the window is open and the slot not over (the rules
    of Window.state and slot-past, which the caller turns into answers), the booking row and
    the conditional increment of its slot. The rush's hot path: one round trip."""
    row = await conn.fetchrow(
        "WITH d AS (SELECT starts_at, ends_at, opens_at, closes_at, now() AS now"
        " FROM distributions WHERE id = $1 AND group_id = $2),"
        " s AS (SELECT id, starts_at, ends_at, capacity, booked FROM slots"
        " WHERE id = $4 AND distribution_id = $1),"
        " booking AS (INSERT INTO bookings (distribution_id, user_id, slot_id)"
        " SELECT $1, $3, s.id FROM d, s"
        " WHERE d.opens_at <= d.now AND d.now < d.closes_at AND s.ends_at > d.now"
        " ON CONFLICT DO NOTHING RETURNING slot_id),"
        " taken AS (UPDATE slots SET booked = booked + 1"
        " WHERE id = (SELECT slot_id FROM booking) AND booked < capacity RETURNING booked)"
        " SELECT d.*, s.id AS slot_id, s.starts_at AS slot_starts_at,"
        " s.ends_at AS slot_ends_at, s.capacity, s.booked AS slot_booked,"
        " EXISTS (SELECT 1 FROM booking) AS inserted, (SELECT booked FROM taken) AS booked"
        " FROM d LEFT JOIN s ON true",
        distribution_id,
        group_id,
        user_id,
        slot_id,
    )
    if row is None:
        raise distribution_not_found()
    return BookingAttempt(window_of(row), slot_of(row), bool(row["inserted"]), row["booked"])


async def lock_slots(conn: Connection, slot_ids: list[uuid.UUID]) -> None:
    """Slot rows locked in one order: two opposite moves cannot deadlock."""
    await conn.execute(
        "SELECT 1 FROM slots WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE", slot_ids
    )


async def take_place(conn: Connection, slot_id: uuid.UUID) -> int | None:
    """The conditional increment: places booked now, None when the slot is full."""
    booked: int | None = await conn.fetchval(
        "UPDATE slots SET booked = booked + 1 WHERE id = $1 AND booked < capacity RETURNING booked",
        slot_id,
    )
    return booked


async def give_place_back(conn: Connection, slot_id: uuid.UUID) -> datetime:
    """One place freed; the slot's start, for the event."""
    starts_at: datetime = await conn.fetchval(
        "UPDATE slots SET booked = booked - 1 WHERE id = $1 RETURNING starts_at", slot_id
    )
    return starts_at


async def move_booking(
    conn: Connection, distribution_id: uuid.UUID, user_id: uuid.UUID, slot_id: uuid.UUID
) -> None:
    await conn.execute(
        "UPDATE bookings SET slot_id = $3, booked_at = now()"
        " WHERE distribution_id = $1 AND user_id = $2",
        distribution_id,
        user_id,
        slot_id,
    )


async def delete_booking(
    conn: Connection, distribution_id: uuid.UUID, user_id: uuid.UUID
) -> uuid.UUID | None:
    """The booking's slot, None when the member had none."""
    slot_id: uuid.UUID | None = await conn.fetchval(
        "DELETE FROM bookings WHERE distribution_id = $1 AND user_id = $2 RETURNING slot_id",
        distribution_id,
        user_id,
    )
    return slot_id


async def most_booked_on_default(conn: Connection, distribution_id: uuid.UUID) -> int:
    """The most places booked on a slot that follows the default capacity; those slots stay
    locked until the end of the transaction."""
    rows = await conn.fetch(
        "SELECT id, booked FROM slots WHERE distribution_id = $1"
        " AND capacity_override IS NULL ORDER BY id FOR UPDATE",
        distribution_id,
    )
    return max((int(r["booked"]) for r in rows), default=0)


async def set_default_capacity(conn: Connection, distribution_id: uuid.UUID, capacity: int) -> None:
    await conn.execute(
        "UPDATE distributions SET default_capacity = $2, updated_at = now() WHERE id = $1",
        distribution_id,
        capacity,
    )
    await conn.execute(
        "UPDATE slots SET capacity = $2 WHERE distribution_id = $1 AND capacity_override IS NULL",
        distribution_id,
        capacity,
    )


async def booked_on_slot_for_update(
    conn: Connection, distribution_id: uuid.UUID, slot_id: uuid.UUID
) -> int | None:
    """Places booked on that slot of the distribution (locked), None when it is not one."""
    booked: int | None = await conn.fetchval(
        "SELECT booked FROM slots WHERE id = $1 AND distribution_id = $2 FOR UPDATE",
        slot_id,
        distribution_id,
    )
    return booked


async def set_slot_capacity(
    conn: Connection, slot_id: uuid.UUID, capacity: int, override: int | None
) -> SlotRow:
    slot = await row_as(
        conn,
        SlotRow,
        "UPDATE slots SET capacity = $2, capacity_override = $3 WHERE id = $1"
        " RETURNING id, starts_at, ends_at, capacity, booked,"
        " capacity_override IS NOT NULL AS capacity_overridden",
        slot_id,
        capacity,
        override,
    )
    assert slot is not None  # the slot row is locked by booked_on_slot_for_update
    return slot


async def attendance(conn: Connection, distribution_id: uuid.UUID) -> list[SlotAttendance]:
    """Per slot, who comes (in booking order)."""
    return await rows_as(
        conn,
        SlotAttendance,
        "SELECT s.id AS slot_id, s.starts_at, s.ends_at, s.capacity, s.booked,"
        " coalesce(array_agg(b.user_id ORDER BY b.booked_at, b.user_id)"
        "          FILTER (WHERE b.user_id IS NOT NULL), '{}') AS user_ids"
        " FROM slots s LEFT JOIN bookings b ON b.slot_id = s.id"
        " WHERE s.distribution_id = $1 GROUP BY s.id ORDER BY s.starts_at",
        distribution_id,
    )


async def delete_bookings_of(
    conn: Connection, user_id: uuid.UUID, group_id: uuid.UUID | None
) -> list[ReleasedBooking]:
    """The person's bookings in that group's distributions (a member left), or everywhere
    (None: a person erased). `user_id = $1` always holds, so the bookings_user index serves
    both cases."""
    return await rows_as(
        conn,
        ReleasedBooking,
        "DELETE FROM bookings b USING distributions d"
        " WHERE d.id = b.distribution_id AND b.user_id = $1"
        " AND ($2::uuid IS NULL OR d.group_id = $2)"
        " RETURNING b.slot_id, b.distribution_id, d.group_id",
        user_id,
        group_id,
    )


async def set_demo_capacity(conn: Connection, group_ids: list[uuid.UUID]) -> None:
    """Demo: capacity 3 at 16:45 (Paris) in those groups' distributions, where no booking
    exceeds it and no override was set yet (idempotent)."""
    await conn.execute(
        "UPDATE slots s SET capacity = 3, capacity_override = 3 FROM distributions d"
        " WHERE d.id = s.distribution_id AND d.group_id = ANY($1::uuid[])"
        " AND s.capacity_override IS NULL AND s.booked <= 3"
        " AND to_char(s.starts_at AT TIME ZONE 'Europe/Paris', 'HH24:MI') = '16:45'",
        group_ids,
    )
