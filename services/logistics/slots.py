"""Use cases of slots: the members' view and booking (book, move, release); the coordinator's
capacities. Each runs in one transaction, retried on deadlock; events go through the outbox."""

import uuid
from datetime import datetime
from typing import Any, Protocol

import asyncpg

from services.logistics.domain import (
    Window,
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
from shared.contracts.logistics import SlotBookedV1, SlotBookingV1, SlotMovedV1, SlotReleasedV1
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


class SlotTimes(Protocol):
    """A slot as a booking names it (repository Slot or BookedSlot)."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def starts_at(self) -> datetime: ...
    @property
    def ends_at(self) -> datetime: ...


def booking_out(
    slot: SlotTimes, group_id: uuid.UUID, distribution_id: uuid.UUID, user_id: uuid.UUID
) -> BookingOut:
    return BookingOut(
        slot_id=slot.id,
        distribution_id=distribution_id,
        group_id=group_id,
        user_id=user_id,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
    )


def _as_told(booking: BookingOut) -> dict[str, Any]:
    """The booking as the slot events say it (the fields of SlotBookingV1: all but its end)."""
    return booking.model_dump(include=set(SlotBookingV1.model_fields))


async def slots_view(
    db: Database, group_id: uuid.UUID, distribution_id: uuid.UUID, user_id: uuid.UUID | None
) -> SlotsView:
    async with db.connection() as conn:
        found = await slot_repo.distribution_slots(conn, group_id, distribution_id, user_id)
    dist, window, mine = found.distribution, found.window, found.my_slot_id
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
        slots=[slot_out(r, mine) for r in found.slots],
    )


async def my_booking(
    db: Database, group_id: uuid.UUID, distribution_id: uuid.UUID, user_id: uuid.UUID
) -> BookingOut:
    async with db.connection() as conn:
        await dist_repo.distribution_window(conn, group_id, distribution_id)
        return await _booking_of(conn, distribution_id, user_id)


async def booking_of(db: Database, distribution_id: uuid.UUID, user_id: uuid.UUID) -> BookingOut:
    """A member's booking as a service asks for it (notifications): no group in the path."""
    async with db.connection() as conn:
        return await _booking_of(conn, distribution_id, user_id)


async def _booking_of(
    conn: Connection, distribution_id: uuid.UUID, user_id: uuid.UUID
) -> BookingOut:
    slot = await slot_repo.booked_slot(conn, distribution_id, user_id)
    if slot is None:
        raise no_booking()
    return booking_out(slot, slot.group_id, distribution_id, user_id)


async def _bookable_slot(
    conn: Connection, group_id: uuid.UUID, distribution_id: uuid.UUID, slot_id: uuid.UUID
) -> Slot:
    window, slot = await dist_repo.window_and_slot(conn, group_id, distribution_id, slot_id)
    return _bookable(window, slot)


def _bookable(window: Window, slot: Slot | None) -> Slot:
    """The slot when the window is open and the slot one of the distribution's, not over."""
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
    # One statement: the window and the slot, and when both allow it the booking row with the
    # conditional increment (the capacity rule lives in the database, CHECK as a backstop).
    attempt = await slot_repo.book_open_slot(conn, group_id, distribution_id, user_id, slot_id)
    slot = _bookable(attempt.window, attempt.slot)
    if not attempt.inserted:
        raise already_booked()
    if attempt.booked is None:
        raise slot_full()  # the transaction rolls the booking row back
    booking = booking_out(slot, group_id, distribution_id, user_id)
    await publish(conn, SlotBookedV1(**_as_told(booking)))
    return 201, booking.model_dump(mode="json")


async def move_booking(
    db: Database,
    group_id: uuid.UUID,
    distribution_id: uuid.UUID,
    user_id: uuid.UUID,
    slot_id: uuid.UUID,
) -> BookingOut:
    async def work(conn: Connection) -> BookingOut:
        slot = await _bookable_slot(conn, group_id, distribution_id, slot_id)
        previous = await slot_repo.booked_slot_id_for_update(conn, distribution_id, user_id)
        if previous is None:
            raise no_booking()
        booking = booking_out(slot, group_id, distribution_id, user_id)
        if previous == slot_id:
            return booking
        # Both slot rows locked in one order: two opposite moves cannot deadlock.
        await slot_repo.lock_slots(conn, [previous, slot_id])
        if await slot_repo.take_place(conn, slot_id) is None:
            raise slot_full()  # the transaction rolls back: the old booking stays
        await slot_repo.give_place_back(conn, previous)
        await slot_repo.move_booking(conn, distribution_id, user_id, slot_id)
        await publish(conn, SlotMovedV1(**_as_told(booking), previous_slot_id=previous))
        return booking

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
        await place_given_back(conn, slot_id, distribution_id, group_id, user_id)

    await in_transaction(db, work)


async def place_given_back(
    conn: Connection,
    slot_id: uuid.UUID,
    distribution_id: uuid.UUID,
    group_id: uuid.UUID,
    user_id: uuid.UUID,
) -> None:
    """A booking gone (released, a member left, a person erased): its place is free again and
    the release is told (slot released)."""
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
