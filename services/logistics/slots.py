"""Use cases of slots: the members' view and booking (book, move, release); the coordinator's
capacities. Each runs in one transaction, retried on deadlock; events go through the outbox."""

import uuid
from datetime import datetime

import asyncpg

from services.logistics.domain import (
    already_booked,
    capacity_below_bookings,
    no_booking,
    slot_full,
    slot_not_found,
    slot_past,
)
from services.logistics.models import BookingOut, SlotOut, SlotsView
from services.logistics.repository import distributions as dist_repo
from services.logistics.repository import slots as slot_repo
from services.logistics.repository.distributions import Slot
from services.logistics.repository.slots import SlotRow
from services.logistics.usecase import in_transaction, publish
from shared.contracts.logistics import SlotBookedV1, SlotMovedV1, SlotReleasedV1
from shared.db import Connection, Database
from shared.idempotency import once


def slot_out(r: SlotRow, mine: uuid.UUID | None) -> SlotOut:
    return SlotOut(
        slot_id=r.id,
        starts_at=r.starts_at,
        ends_at=r.ends_at,
        capacity=r.capacity,
        booked=r.booked,
        available=max(r.capacity - r.booked, 0),
        full=r.booked >= r.capacity,
        mine=r.id == mine,
        capacity_overridden=r.capacity_overridden,
    )


def booking_out(
    slot_id: uuid.UUID,
    starts_at: datetime,
    ends_at: datetime,
    group_id: uuid.UUID,
    distribution_id: uuid.UUID,
    user_id: uuid.UUID,
) -> BookingOut:
    return BookingOut(
        slot_id=slot_id,
        distribution_id=distribution_id,
        group_id=group_id,
        user_id=user_id,
        starts_at=starts_at,
        ends_at=ends_at,
    )


def _booking(
    slot: Slot, group_id: uuid.UUID, distribution_id: uuid.UUID, user_id: uuid.UUID
) -> BookingOut:
    return booking_out(slot.id, slot.starts_at, slot.ends_at, group_id, distribution_id, user_id)


async def slots_view(
    db: Database, group_id: uuid.UUID, distribution_id: uuid.UUID, user_id: uuid.UUID | None
) -> SlotsView:
    async with db.connection() as conn:
        dist, window = await dist_repo.distribution_window(conn, group_id, distribution_id)
        rows = await slot_repo.slots_of(conn, distribution_id)
        mine = None
        if user_id is not None:
            mine = await slot_repo.booked_slot_id(conn, distribution_id, user_id)
    return SlotsView(
        distribution_id=distribution_id,
        group_id=group_id,
        starts_at=dist.starts_at,
        ends_at=dist.ends_at,
        opens_at=dist.opens_at,
        closes_at=dist.closes_at,
        state=window.state,
        default_capacity=dist.default_capacity,
        my_slot_id=mine,
        slots=[slot_out(r, mine) for r in rows],
    )


async def my_booking(
    db: Database, group_id: uuid.UUID, distribution_id: uuid.UUID, user_id: uuid.UUID
) -> BookingOut:
    async with db.connection() as conn:
        await dist_repo.distribution_window(conn, group_id, distribution_id)
        slot = await slot_repo.booked_slot(conn, distribution_id, user_id)
    if slot is None:
        raise no_booking()
    return booking_out(slot.id, slot.starts_at, slot.ends_at, group_id, distribution_id, user_id)


async def _bookable_slot(
    conn: Connection, group_id: uuid.UUID, distribution_id: uuid.UUID, slot_id: uuid.UUID
) -> Slot:
    window, slot = await dist_repo.window_and_slot(conn, group_id, distribution_id, slot_id)
    window.require_open()
    if slot is None:
        raise slot_not_found()
    if slot.ends_at <= window.now:
        raise slot_past()
    return slot


async def book_slot(
    db: Database,
    group_id: uuid.UUID,
    distribution_id: uuid.UUID,
    user_id: uuid.UUID,
    slot_id: uuid.UUID,
    idempotency_key: str | None = None,
) -> BookingOut:
    """Book a slot; with an Idempotency-Key, a retry of a booking that went through gets the
    same booking back instead of « already booked »."""

    async def work(conn: Connection) -> BookingOut:
        scope = f"booking:{group_id}:{distribution_id}:{user_id}"
        _, answer = await once(
            conn,
            scope,
            idempotency_key,
            lambda: _book(conn, group_id, distribution_id, user_id, slot_id),
        )
        return BookingOut.model_validate(answer)

    return await in_transaction(db, work)


async def _book(
    conn: Connection,
    group_id: uuid.UUID,
    distribution_id: uuid.UUID,
    user_id: uuid.UUID,
    slot_id: uuid.UUID,
) -> tuple[int, dict[str, object]]:
    slot = await _bookable_slot(conn, group_id, distribution_id, slot_id)
    # The capacity rule lives in the database: conditional increment (CHECK as a backstop).
    inserted, taken = await slot_repo.insert_booking(conn, distribution_id, user_id, slot_id)
    if not inserted:
        raise already_booked()
    if taken is None:
        raise slot_full()
    await publish(
        conn,
        SlotBookedV1(
            slot_id=slot_id,
            distribution_id=distribution_id,
            group_id=group_id,
            user_id=user_id,
            starts_at=slot.starts_at,
        ),
    )
    return 201, _booking(slot, group_id, distribution_id, user_id).model_dump(mode="json")


async def move_booking(
    db: Database,
    group_id: uuid.UUID,
    distribution_id: uuid.UUID,
    user_id: uuid.UUID,
    slot_id: uuid.UUID,
) -> BookingOut:
    async def work(conn: Connection) -> BookingOut:
        slot = await _bookable_slot(conn, group_id, distribution_id, slot_id)
        previous = await slot_repo.booked_slot_id(conn, distribution_id, user_id, for_update=True)
        if previous is None:
            raise no_booking()
        if previous == slot_id:
            return _booking(slot, group_id, distribution_id, user_id)
        # Both slot rows locked in one order: two opposite moves cannot deadlock.
        await slot_repo.lock_slots(conn, [previous, slot_id])
        if await slot_repo.take_place(conn, slot_id) is None:
            raise slot_full()  # the transaction rolls back: the old booking stays
        await slot_repo.give_place_back(conn, previous)
        await slot_repo.move_booking(conn, distribution_id, user_id, slot_id)
        await publish(
            conn,
            SlotMovedV1(
                slot_id=slot_id,
                distribution_id=distribution_id,
                group_id=group_id,
                user_id=user_id,
                starts_at=slot.starts_at,
                previous_slot_id=previous,
            ),
        )
        return _booking(slot, group_id, distribution_id, user_id)

    return await in_transaction(db, work)


async def release_booking(
    db: Database, group_id: uuid.UUID, distribution_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    async def work(conn: Connection) -> None:
        _, window = await dist_repo.distribution_window(conn, group_id, distribution_id)
        window.require_open()
        slot_id = await slot_repo.delete_booking(conn, distribution_id, user_id)
        if slot_id is None:
            raise no_booking()
        starts_at = await slot_repo.give_place_back(conn, slot_id)
        await publish(
            conn,
            SlotReleasedV1(
                slot_id=slot_id,
                distribution_id=distribution_id,
                group_id=group_id,
                user_id=user_id,
                starts_at=starts_at,
            ),
        )

    await in_transaction(db, work)


async def set_default_capacity(
    db: Database, group_id: uuid.UUID, distribution_id: uuid.UUID, capacity: int
) -> SlotsView:
    async def work(conn: Connection) -> None:
        await dist_repo.distribution_window(conn, group_id, distribution_id, lock=True)
        most = await slot_repo.most_booked_on_default(conn, distribution_id)
        if most > capacity:
            raise capacity_below_bookings(most)
        await slot_repo.set_default_capacity(conn, distribution_id, capacity)

    try:
        await in_transaction(db, work)
    except asyncpg.CheckViolationError:
        raise capacity_below_bookings(capacity + 1) from None
    return await slots_view(db, group_id, distribution_id, None)


async def set_slot_capacity(
    db: Database,
    group_id: uuid.UUID,
    distribution_id: uuid.UUID,
    slot_id: uuid.UUID,
    capacity: int | None,
) -> SlotOut:
    async def work(conn: Connection) -> SlotRow:
        dist, _ = await dist_repo.distribution_window(conn, group_id, distribution_id)
        booked = await slot_repo.booked_on_slot_for_update(conn, distribution_id, slot_id)
        if booked is None:
            raise slot_not_found()
        effective = dist.default_capacity if capacity is None else capacity
        if booked > effective:
            raise capacity_below_bookings(booked)
        return await slot_repo.set_slot_capacity(conn, slot_id, effective, capacity)

    try:
        row = await in_transaction(db, work)
    except asyncpg.CheckViolationError:
        raise capacity_below_bookings(capacity or 0) from None
    return slot_out(row, None)
