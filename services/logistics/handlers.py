"""Use cases of logistics. Each runs in one transaction; events go through the outbox."""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Literal, TypeVar

import asyncpg

from services.logistics import ended
from services.logistics import repository as repo
from services.logistics.domain import (
    already_booked,
    already_taken,
    capacity_below_bookings,
    consent_not_allowed,
    consent_required,
    membership_ended,
    no_booking,
    no_pickup_choice,
    not_volunteer,
    own_request,
    request_not_found,
    slot_full,
    slot_not_found,
    slot_past,
)
from services.logistics.models import (
    BookingOut,
    ConsentOut,
    CoordinationView,
    InternalRequest,
    PickupIn,
    PickupView,
    RequestDetail,
    RequestList,
    RequestState,
    RequestSummary,
    SlotAttendance,
    SlotOut,
    SlotsView,
    VolunteerOut,
)
from shared.contracts.logistics import (
    DeliveryAssignedV1,
    DeliveryCancelledV1,
    DeliveryRequestedV1,
    DeliveryUnassignedV1,
    EndedBy,
    SlotBookedV1,
    SlotMovedV1,
    SlotReleasedV1,
)
from shared.db import Database
from shared.idempotency import once
from shared.outbox import add_event

SOURCE = "/logistics"
Conn = Any
T = TypeVar("T")
UnassignReason = Literal[
    "volunteer_withdrew", "requester_cancelled", "revoked", "member_left", "erased"
]
CancelReason = Literal["requester_cancelled", "revoked", "member_left", "erased"]


async def retrying(work: Callable[[], Awaitable[T]], attempts: int = 3) -> T:
    """Run a transaction again when Postgres aborted it for a deadlock or serialization."""
    for attempt in range(attempts):
        try:
            return await work()
        except (asyncpg.DeadlockDetectedError, asyncpg.SerializationError):
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(0.01 * (attempt + 1))
    raise AssertionError("unreachable")


# --- slots ----------------------------------------------------------------------------------
async def slots_view(
    db: Database, group_id: uuid.UUID, distribution_id: uuid.UUID, user_id: uuid.UUID | None
) -> SlotsView:
    async with db.connection() as conn:
        dist, window = await repo.distribution_window(conn, group_id, distribution_id)
        rows = await conn.fetch(
            "SELECT id, starts_at, ends_at, capacity, booked, capacity_override IS NOT NULL AS o"
            " FROM slots WHERE distribution_id = $1 ORDER BY starts_at",
            distribution_id,
        )
        mine = None
        if user_id is not None:
            mine = await conn.fetchval(
                "SELECT slot_id FROM bookings WHERE distribution_id = $1 AND user_id = $2",
                distribution_id,
                user_id,
            )
    return SlotsView(
        distribution_id=distribution_id,
        group_id=group_id,
        starts_at=dist["starts_at"],
        ends_at=dist["ends_at"],
        opens_at=dist["opens_at"],
        closes_at=dist["closes_at"],
        state=window.state,
        default_capacity=dist["default_capacity"],
        my_slot_id=mine,
        slots=[_slot_out(r, mine) for r in rows],
    )


def _slot_out(r: Any, mine: uuid.UUID | None) -> SlotOut:
    return SlotOut(
        slot_id=r["id"],
        starts_at=r["starts_at"],
        ends_at=r["ends_at"],
        capacity=r["capacity"],
        booked=r["booked"],
        available=max(r["capacity"] - r["booked"], 0),
        full=r["booked"] >= r["capacity"],
        mine=r["id"] == mine,
        capacity_overridden=r["o"],
    )


async def my_booking(
    db: Database, group_id: uuid.UUID, distribution_id: uuid.UUID, user_id: uuid.UUID
) -> BookingOut:
    async with db.connection() as conn:
        await repo.distribution_window(conn, group_id, distribution_id)
        row = await conn.fetchrow(
            "SELECT s.id, s.starts_at, s.ends_at FROM bookings b JOIN slots s ON s.id = b.slot_id"
            " WHERE b.distribution_id = $1 AND b.user_id = $2",
            distribution_id,
            user_id,
        )
    if row is None:
        raise no_booking()
    return _booking(row, group_id, distribution_id, user_id)


def _booking(
    slot: Any, group_id: uuid.UUID, distribution_id: uuid.UUID, user_id: uuid.UUID
) -> BookingOut:
    return BookingOut(
        slot_id=slot["id"],
        distribution_id=distribution_id,
        group_id=group_id,
        user_id=user_id,
        starts_at=slot["starts_at"],
        ends_at=slot["ends_at"],
    )


async def _bookable_slot(
    conn: Conn, group_id: uuid.UUID, distribution_id: uuid.UUID, slot_id: uuid.UUID
) -> Any:
    window, slot = await repo.window_and_slot(conn, group_id, distribution_id, slot_id)
    window.require_open()
    if slot is None:
        raise slot_not_found()
    if slot["ends_at"] <= window.now:
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

    async def work() -> BookingOut:
        async with db.transaction() as conn:
            scope = f"booking:{group_id}:{distribution_id}:{user_id}"
            _, answer = await once(
                conn,
                scope,
                idempotency_key,
                lambda: _book(conn, group_id, distribution_id, user_id, slot_id),
            )
            return BookingOut.model_validate(answer)

    return await retrying(work)


async def _book(
    conn: Any,
    group_id: uuid.UUID,
    distribution_id: uuid.UUID,
    user_id: uuid.UUID,
    slot_id: uuid.UUID,
) -> tuple[int, Any]:
    slot = await _bookable_slot(conn, group_id, distribution_id, slot_id)
    # The capacity rule lives in the database: conditional increment (CHECK as a backstop).
    inserted, taken = await repo.insert_booking(conn, distribution_id, user_id, slot_id)
    if not inserted:
        raise already_booked()
    if taken is None:
        raise slot_full()
    await add_event(
        conn,
        "logistics.slot.booked.v1",
        SOURCE,
        SlotBookedV1(
            slot_id=slot_id,
            distribution_id=distribution_id,
            group_id=group_id,
            user_id=user_id,
            starts_at=slot["starts_at"],
        ),
        subject=str(distribution_id),
        group_id=group_id,
    )
    return 201, _booking(slot, group_id, distribution_id, user_id).model_dump(mode="json")


async def move_booking(
    db: Database,
    group_id: uuid.UUID,
    distribution_id: uuid.UUID,
    user_id: uuid.UUID,
    slot_id: uuid.UUID,
) -> BookingOut:
    async def work() -> BookingOut:
        async with db.transaction() as conn:
            slot = await _bookable_slot(conn, group_id, distribution_id, slot_id)
            previous = await conn.fetchval(
                "SELECT slot_id FROM bookings WHERE distribution_id = $1 AND user_id = $2"
                " FOR UPDATE",
                distribution_id,
                user_id,
            )
            if previous is None:
                raise no_booking()
            if previous == slot_id:
                return _booking(slot, group_id, distribution_id, user_id)
            # Both slot rows locked in one order: two opposite moves cannot deadlock.
            await conn.execute(
                "SELECT 1 FROM slots WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE",
                [previous, slot_id],
            )
            taken = await conn.fetchval(
                "UPDATE slots SET booked = booked + 1 WHERE id = $1 AND booked < capacity"
                " RETURNING booked",
                slot_id,
            )
            if taken is None:
                raise slot_full()  # the transaction rolls back: the old booking stays
            await conn.execute("UPDATE slots SET booked = booked - 1 WHERE id = $1", previous)
            await conn.execute(
                "UPDATE bookings SET slot_id = $3, booked_at = now()"
                " WHERE distribution_id = $1 AND user_id = $2",
                distribution_id,
                user_id,
                slot_id,
            )
            await add_event(
                conn,
                "logistics.slot.moved.v1",
                SOURCE,
                SlotMovedV1(
                    slot_id=slot_id,
                    distribution_id=distribution_id,
                    group_id=group_id,
                    user_id=user_id,
                    starts_at=slot["starts_at"],
                    previous_slot_id=previous,
                ),
                subject=str(distribution_id),
                group_id=group_id,
            )
            return _booking(slot, group_id, distribution_id, user_id)

    return await retrying(work)


async def release_booking(
    db: Database, group_id: uuid.UUID, distribution_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    async def work() -> None:
        async with db.transaction() as conn:
            _, window = await repo.distribution_window(conn, group_id, distribution_id)
            window.require_open()
            slot_id = await conn.fetchval(
                "DELETE FROM bookings WHERE distribution_id = $1 AND user_id = $2"
                " RETURNING slot_id",
                distribution_id,
                user_id,
            )
            if slot_id is None:
                raise no_booking()
            starts_at = await conn.fetchval(
                "UPDATE slots SET booked = booked - 1 WHERE id = $1 RETURNING starts_at", slot_id
            )
            await add_event(
                conn,
                "logistics.slot.released.v1",
                SOURCE,
                SlotReleasedV1(
                    slot_id=slot_id,
                    distribution_id=distribution_id,
                    group_id=group_id,
                    user_id=user_id,
                    starts_at=starts_at,
                ),
                subject=str(distribution_id),
                group_id=group_id,
            )

    await retrying(work)


async def set_default_capacity(
    db: Database, group_id: uuid.UUID, distribution_id: uuid.UUID, capacity: int
) -> SlotsView:
    async def work() -> None:
        async with db.transaction() as conn:
            await repo.distribution_window(conn, group_id, distribution_id, lock=True)
            rows = await conn.fetch(
                "SELECT id, booked FROM slots WHERE distribution_id = $1"
                " AND capacity_override IS NULL ORDER BY id FOR UPDATE",
                distribution_id,
            )
            most = max((r["booked"] for r in rows), default=0)
            if most > capacity:
                raise capacity_below_bookings(most)
            await conn.execute(
                "UPDATE distributions SET default_capacity = $2, updated_at = now() WHERE id = $1",
                distribution_id,
                capacity,
            )
            await conn.execute(
                "UPDATE slots SET capacity = $2 WHERE distribution_id = $1"
                " AND capacity_override IS NULL",
                distribution_id,
                capacity,
            )

    try:
        await retrying(work)
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
    async def work() -> Any:
        async with db.transaction() as conn:
            dist, _ = await repo.distribution_window(conn, group_id, distribution_id)
            slot = await conn.fetchrow(
                "SELECT id, booked FROM slots WHERE id = $1 AND distribution_id = $2 FOR UPDATE",
                slot_id,
                distribution_id,
            )
            if slot is None:
                raise slot_not_found()
            effective = dist["default_capacity"] if capacity is None else capacity
            if slot["booked"] > effective:
                raise capacity_below_bookings(slot["booked"])
            return await conn.fetchrow(
                "UPDATE slots SET capacity = $2, capacity_override = $3 WHERE id = $1"
                " RETURNING id, starts_at, ends_at, capacity, booked,"
                " capacity_override IS NOT NULL AS o",
                slot_id,
                effective,
                capacity,
            )

    try:
        row = await retrying(work)
    except asyncpg.CheckViolationError:
        raise capacity_below_bookings(capacity or 0) from None
    return _slot_out(row, None)


# --- pickup choice --------------------------------------------------------------------------
async def pickup_view(
    db: Database, group_id: uuid.UUID, distribution_id: uuid.UUID, user_id: uuid.UUID
) -> PickupView:
    async with db.connection() as conn:
        await repo.distribution_window(conn, group_id, distribution_id)
        return await _pickup_view(conn, group_id, distribution_id, user_id)


async def _pickup_view(
    conn: Conn, group_id: uuid.UUID, distribution_id: uuid.UUID, user_id: uuid.UUID
) -> PickupView:
    choice = await conn.fetchrow(
        "SELECT choice, consent_fields, consent_text_version, consented_at FROM pickup_choices"
        " WHERE distribution_id = $1 AND user_id = $2",
        distribution_id,
        user_id,
    )
    request = await conn.fetchrow(
        "SELECT id, volunteer_id FROM delivery_requests"
        " WHERE distribution_id = $1 AND requester_id = $2",
        distribution_id,
        user_id,
    )
    consent = None
    if choice is not None and choice["consent_fields"] is not None:
        consent = ConsentOut(
            fields=choice["consent_fields"],
            text_version=choice["consent_text_version"],
            consented_at=choice["consented_at"],
        )
    return PickupView(
        distribution_id=distribution_id,
        group_id=group_id,
        user_id=user_id,
        choice=None if choice is None else choice["choice"],
        consent=consent,
        request=None
        if request is None
        else RequestState(
            request_id=request["id"],
            status="open" if request["volunteer_id"] is None else "assigned",
            volunteer_id=request["volunteer_id"],
        ),
    )


async def set_pickup(
    db: Database,
    group_id: uuid.UUID,
    distribution_id: uuid.UUID,
    user_id: uuid.UUID,
    body: PickupIn,
    first_name: str = "",
) -> PickupView:
    if body.choice == "need_delivery" and body.consent is None:
        raise consent_required()
    if body.choice != "need_delivery" and body.consent is not None:
        raise consent_not_allowed()

    async def work() -> PickupView:
        async with db.transaction() as conn:
            _, window = await repo.distribution_window(conn, group_id, distribution_id)
            window.require_not_over()
            consent = body.consent
            await conn.execute(
                "INSERT INTO pickup_choices (distribution_id, user_id, choice, consent_fields,"
                " consent_text_version, consented_at)"
                " VALUES ($1, $2, $3, $4, $5,"
                " CASE WHEN $4::text[] IS NULL THEN NULL ELSE now() END)"
                " ON CONFLICT (distribution_id, user_id) DO UPDATE SET choice = EXCLUDED.choice,"
                " consent_fields = EXCLUDED.consent_fields,"
                " consent_text_version = EXCLUDED.consent_text_version,"
                " consented_at = EXCLUDED.consented_at, chosen_at = now()",
                distribution_id,
                user_id,
                body.choice,
                None if consent is None else list(consent.fields),
                None if consent is None else consent.text_version,
            )
            if body.choice == "need_delivery":
                if first_name:
                    await conn.execute(
                        "INSERT INTO members (user_id, first_name) VALUES ($1, $2)"
                        " ON CONFLICT DO NOTHING",
                        user_id,
                        first_name,
                    )
                request_id = await conn.fetchval(
                    "INSERT INTO delivery_requests (id, distribution_id, group_id, requester_id)"
                    " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING id",
                    uuid.uuid4(),
                    distribution_id,
                    group_id,
                    user_id,
                )
                if request_id is not None:
                    await add_event(
                        conn,
                        "logistics.delivery.requested.v1",
                        SOURCE,
                        DeliveryRequestedV1(
                            request_id=request_id,
                            distribution_id=distribution_id,
                            group_id=group_id,
                            requester_id=user_id,
                        ),
                        subject=str(distribution_id),
                        group_id=group_id,
                    )
            else:
                await _cancel_requests(
                    conn,
                    "r.requester_id = $1 AND r.distribution_id = $2",
                    [user_id, distribution_id],
                    "requester_cancelled",
                    "requester_cancelled",
                    "requester",
                )
            if body.choice != "can_deliver":
                await _unassign_claims(
                    conn,
                    "volunteer_id = $1 AND distribution_id = $2",
                    [user_id, distribution_id],
                    "volunteer_withdrew",
                )
            return await _pickup_view(conn, group_id, distribution_id, user_id)

    return await retrying(work)


async def withdraw_pickup(
    db: Database, group_id: uuid.UUID, distribution_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    async def work() -> None:
        async with db.transaction() as conn:
            await repo.distribution_window(conn, group_id, distribution_id)
            gone = await conn.fetchval(
                "DELETE FROM pickup_choices WHERE distribution_id = $1 AND user_id = $2"
                " RETURNING true",
                distribution_id,
                user_id,
            )
            if not gone:
                raise no_pickup_choice()
            await _cancel_requests(
                conn,
                "r.requester_id = $1 AND r.distribution_id = $2",
                [user_id, distribution_id],
                "requester_cancelled",
                "requester_cancelled",
                "requester",
            )
            await _unassign_claims(
                conn,
                "volunteer_id = $1 AND distribution_id = $2",
                [user_id, distribution_id],
                "volunteer_withdrew",
            )

    await retrying(work)


async def _cancel_requests(
    conn: Conn,
    where: str,
    args: list[Any],
    cancel: CancelReason,
    unassign: UnassignReason,
    ended_by: EndedBy,
) -> int:
    """Delete matching requests; tell the volunteer (unassigned) and everyone (cancelled). Both
    events carry both ids and who ended it: notifications writes to the other side from the
    event alone, whatever it has already forgotten (an erasure handled first)."""
    rows = await conn.fetch(
        f"DELETE FROM delivery_requests r WHERE {where}"
        " RETURNING r.id, r.distribution_id, r.group_id, r.requester_id, r.volunteer_id",
        *args,
    )
    for r in rows:
        if r["volunteer_id"] is not None:
            await ended.record(
                conn,
                r["id"],
                r["distribution_id"],
                r["group_id"],
                r["requester_id"],
                r["volunteer_id"],
                cancel,
                ended_by,
            )
            await add_event(
                conn,
                "logistics.delivery.unassigned.v1",
                SOURCE,
                DeliveryUnassignedV1(
                    request_id=r["id"],
                    distribution_id=r["distribution_id"],
                    group_id=r["group_id"],
                    requester_id=r["requester_id"],
                    volunteer_id=r["volunteer_id"],
                    reason=unassign,
                    ended_by=ended_by,
                ),
                subject=str(r["distribution_id"]),
                group_id=r["group_id"],
            )
        await add_event(
            conn,
            "logistics.delivery.cancelled.v1",
            SOURCE,
            DeliveryCancelledV1(
                request_id=r["id"],
                distribution_id=r["distribution_id"],
                group_id=r["group_id"],
                requester_id=r["requester_id"],
                reason=cancel,
                volunteer_id=r["volunteer_id"],
                ended_by=ended_by,
            ),
            subject=str(r["distribution_id"]),
            group_id=r["group_id"],
        )
    return len(rows)


async def _unassign_claims(conn: Conn, where: str, args: list[Any], reason: UnassignReason) -> int:
    """Hand back the requests a volunteer had taken: they reopen (event unassigned, the
    volunteer's side ended: the requester is the one to tell)."""
    rows = await conn.fetch(
        "WITH old AS (SELECT id, volunteer_id FROM delivery_requests"
        f" WHERE {where} FOR UPDATE)"
        " UPDATE delivery_requests r SET volunteer_id = NULL, assigned_at = NULL FROM old"
        " WHERE r.id = old.id"
        " RETURNING r.id, r.distribution_id, r.group_id, r.requester_id, old.volunteer_id",
        *args,
    )
    for r in rows:
        await ended.record(
            conn,
            r["id"],
            r["distribution_id"],
            r["group_id"],
            r["requester_id"],
            r["volunteer_id"],
            reason,
            "volunteer",
        )
        await add_event(
            conn,
            "logistics.delivery.unassigned.v1",
            SOURCE,
            DeliveryUnassignedV1(
                request_id=r["id"],
                distribution_id=r["distribution_id"],
                group_id=r["group_id"],
                requester_id=r["requester_id"],
                volunteer_id=r["volunteer_id"],
                reason=reason,
                ended_by="volunteer",
            ),
            subject=str(r["distribution_id"]),
            group_id=r["group_id"],
        )
    return len(rows)


# --- pairing --------------------------------------------------------------------------------
def _summary(r: Any) -> RequestSummary:
    return RequestSummary(
        request_id=r["request_id"],
        first_name=r["first_name"],
        postcode=r["postcode"],
        order_items=r["order_items"],
        order_total_cents=r["order_total_cents"],
        status="open" if r["volunteer_id"] is None else "assigned",
        volunteer_id=r["volunteer_id"],
        requested_at=r["requested_at"],
    )


def _detail(r: Any) -> RequestDetail:
    return RequestDetail(
        **_summary(r).model_dump(),
        requester_id=r["requester_id"],
        consented_fields=list(r["consent_fields"] or []),
        consented_at=r["consented_at"],
        consent_text_version=r["consent_text_version"],
    )


async def _is_volunteer(
    conn: Conn, distribution_id: uuid.UUID, user_id: uuid.UUID, lock: bool = False
) -> bool:
    choice = await conn.fetchval(
        "SELECT choice FROM pickup_choices WHERE distribution_id = $1 AND user_id = $2"
        + (" FOR SHARE" if lock else ""),
        distribution_id,
        user_id,
    )
    return bool(choice == "can_deliver")


async def list_requests(
    db: Database,
    group_id: uuid.UUID,
    distribution_id: uuid.UUID,
    user_id: uuid.UUID,
    coordinator: bool = False,
) -> RequestList:
    async with db.connection() as conn:
        await repo.distribution_window(conn, group_id, distribution_id)
        if not coordinator and not await _is_volunteer(conn, distribution_id, user_id):
            raise not_volunteer()
        rows = await repo.requests_of(conn, distribution_id)
    return RequestList(
        open=[
            _summary(r) for r in rows if r["volunteer_id"] is None and r["requester_id"] != user_id
        ],
        mine=[_summary(r) for r in rows if r["volunteer_id"] == user_id],
    )


async def claim_request(
    db: Database,
    group_id: uuid.UUID,
    distribution_id: uuid.UUID,
    request_id: uuid.UUID,
    volunteer_id: uuid.UUID,
    token_issued_at: float | None = None,
) -> RequestSummary:
    async def work() -> RequestSummary:
        async with db.transaction() as conn:
            _, window = await repo.distribution_window(conn, group_id, distribution_id)
            window.require_not_over()
            if token_issued_at is not None:
                await _require_still_member(conn, group_id, volunteer_id, token_issued_at)
            requester = await conn.fetchval(
                "SELECT requester_id FROM delivery_requests"
                " WHERE id = $1 AND distribution_id = $2 AND group_id = $3",
                request_id,
                distribution_id,
                group_id,
            )
            if requester is None:
                raise request_not_found()
            if requester == volunteer_id:
                raise own_request()
            # FOR SHARE: the volunteer's choice cannot change until this claim commits.
            if not await _is_volunteer(conn, distribution_id, volunteer_id, lock=True):
                raise not_volunteer()
            won = await conn.fetchval(
                "UPDATE delivery_requests SET volunteer_id = $2, assigned_at = now()"
                " WHERE id = $1 AND volunteer_id IS NULL RETURNING true",
                request_id,
                volunteer_id,
            )
            row = await repo.request_row(conn, request_id)
            if row is None:
                raise request_not_found()
            if not won:
                if row["volunteer_id"] == volunteer_id:
                    return _summary(row)  # already mine: nothing new to tell
                raise already_taken()
            await add_event(
                conn,
                "logistics.delivery.assigned.v1",
                SOURCE,
                DeliveryAssignedV1(
                    request_id=request_id,
                    distribution_id=distribution_id,
                    group_id=group_id,
                    requester_id=row["requester_id"],
                    volunteer_id=volunteer_id,
                    consented_fields=list(row["consent_fields"] or []),
                ),
                subject=str(distribution_id),
                group_id=group_id,
            )
            return _summary(row)

    return await retrying(work)


async def _require_still_member(
    conn: Conn, group_id: uuid.UUID, user_id: uuid.UUID, token_issued_at: float
) -> None:
    """Checked in the claim's transaction, not only against the api's in-memory copy: a claim
    racing the membership's end is refused once the end is recorded here (shared.revocations)."""
    ended = await conn.fetchval(
        "SELECT true FROM membership_revocations WHERE user_id = $1 AND group_id = $2"
        " AND ended_at >= to_timestamp($3)",
        user_id,
        group_id,
        token_issued_at,
    )
    if ended:
        raise membership_ended()


async def withdraw_claim(
    db: Database,
    group_id: uuid.UUID,
    distribution_id: uuid.UUID,
    request_id: uuid.UUID,
    volunteer_id: uuid.UUID,
) -> None:
    async def work() -> None:
        async with db.transaction() as conn:
            await repo.distribution_window(conn, group_id, distribution_id)
            done = await _unassign_claims(
                conn,
                "id = $1 AND distribution_id = $2 AND group_id = $3 AND volunteer_id = $4",
                [request_id, distribution_id, group_id, volunteer_id],
                "volunteer_withdrew",
            )
            if not done:
                raise request_not_found()

    await retrying(work)


async def revoke_request(
    db: Database, group_id: uuid.UUID, distribution_id: uuid.UUID, request_id: uuid.UUID
) -> None:
    async def work() -> None:
        async with db.transaction() as conn:
            await repo.distribution_window(conn, group_id, distribution_id)
            requester = await conn.fetchval(
                "SELECT requester_id FROM delivery_requests"
                " WHERE id = $1 AND distribution_id = $2 AND group_id = $3 FOR UPDATE",
                request_id,
                distribution_id,
                group_id,
            )
            if requester is None:
                raise request_not_found()
            await conn.execute(
                "DELETE FROM pickup_choices WHERE distribution_id = $1 AND user_id = $2",
                distribution_id,
                requester,
            )
            await _cancel_requests(
                conn, "r.id = $1", [request_id], "revoked", "revoked", "coordinator"
            )

    await retrying(work)


async def coordination_view(
    db: Database, group_id: uuid.UUID, distribution_id: uuid.UUID
) -> CoordinationView:
    async with db.connection() as conn:
        await repo.distribution_window(conn, group_id, distribution_id)
        slots = await conn.fetch(
            "SELECT s.id, s.starts_at, s.ends_at, s.capacity, s.booked,"
            " coalesce(array_agg(b.user_id ORDER BY b.booked_at, b.user_id)"
            "          FILTER (WHERE b.user_id IS NOT NULL), '{}') AS user_ids"
            " FROM slots s LEFT JOIN bookings b ON b.slot_id = s.id"
            " WHERE s.distribution_id = $1 GROUP BY s.id ORDER BY s.starts_at",
            distribution_id,
        )
        requests = await repo.requests_of(conn, distribution_id)
        choices = await conn.fetch(
            "SELECT c.user_id, c.choice, coalesce(m.first_name, '') AS first_name, m.postcode"
            " FROM pickup_choices c LEFT JOIN members m ON m.user_id = c.user_id"
            " WHERE c.distribution_id = $1 AND c.choice IN ('can_deliver', 'pickup_only')"
            " ORDER BY m.first_name, c.user_id",
            distribution_id,
        )
        ended_pairings = await ended.of_distribution(conn, distribution_id)
    details = [_detail(r) for r in requests]
    return CoordinationView(
        distribution_id=distribution_id,
        group_id=group_id,
        slots=[
            SlotAttendance(
                slot_id=s["id"],
                starts_at=s["starts_at"],
                ends_at=s["ends_at"],
                capacity=s["capacity"],
                booked=s["booked"],
                user_ids=list(s["user_ids"]),
            )
            for s in slots
        ],
        pairs=[d for d in details if d.volunteer_id is not None],
        unpaired=[d for d in details if d.volunteer_id is None],
        need_delivery=details,
        volunteers=[
            VolunteerOut(user_id=c["user_id"], first_name=c["first_name"], postcode=c["postcode"])
            for c in choices
            if c["choice"] == "can_deliver"
        ],
        pickup_only=[c["user_id"] for c in choices if c["choice"] == "pickup_only"],
        ended=ended_pairings,
    )


# --- internal (notifications) ---------------------------------------------------------------
async def internal_request(db: Database, request_id: uuid.UUID) -> InternalRequest | None:
    async with db.connection() as conn:
        r = await repo.request_row(conn, request_id)
    if r is None:
        return None
    return InternalRequest(
        request_id=r["request_id"],
        distribution_id=r["distribution_id"],
        group_id=r["group_id"],
        requester_id=r["requester_id"],
        volunteer_id=r["volunteer_id"],
        consented_fields=list(r["consent_fields"] or []),
        consented_at=r["consented_at"],
    )


async def internal_booking(
    db: Database, distribution_id: uuid.UUID, user_id: uuid.UUID
) -> BookingOut | None:
    async with db.connection() as conn:
        row = await conn.fetchrow(
            "SELECT s.id, s.starts_at, s.ends_at, d.group_id FROM bookings b"
            " JOIN slots s ON s.id = b.slot_id JOIN distributions d ON d.id = b.distribution_id"
            " WHERE b.distribution_id = $1 AND b.user_id = $2",
            distribution_id,
            user_id,
        )
    if row is None:
        return None
    return _booking(row, row["group_id"], distribution_id, user_id)


# --- people leaving -------------------------------------------------------------------------
async def forget_person(
    conn: Conn, user_id: uuid.UUID, group_id: uuid.UUID | None, erased: bool
) -> None:
    """Member left a group (group_id) or was erased (None): remove bookings, consents,
    requests and claims, freeing places, and tell the other side through events."""
    scope = "" if group_id is None else " AND d.group_id = $2"
    args: list[Any] = [user_id] if group_id is None else [user_id, group_id]
    bookings = await conn.fetch(
        "DELETE FROM bookings b USING distributions d"
        f" WHERE d.id = b.distribution_id AND b.user_id = $1{scope}"
        " RETURNING b.slot_id, b.distribution_id, d.group_id",
        *args,
    )
    for b in sorted(bookings, key=lambda r: r["slot_id"]):
        starts_at = await conn.fetchval(
            "UPDATE slots SET booked = booked - 1 WHERE id = $1 RETURNING starts_at", b["slot_id"]
        )
        await add_event(
            conn,
            "logistics.slot.released.v1",
            SOURCE,
            SlotReleasedV1(
                slot_id=b["slot_id"],
                distribution_id=b["distribution_id"],
                group_id=b["group_id"],
                user_id=user_id,
                starts_at=starts_at,
            ),
            subject=str(b["distribution_id"]),
            group_id=b["group_id"],
        )
    rscope = "" if group_id is None else " AND r.group_id = $2"
    await _cancel_requests(
        conn,
        f"r.requester_id = $1{rscope}",
        args,
        "erased" if erased else "member_left",
        "erased" if erased else "member_left",
        "requester",
    )
    cscope = "" if group_id is None else " AND group_id = $2"
    await _unassign_claims(
        conn, f"volunteer_id = $1{cscope}", args, "erased" if erased else "member_left"
    )
    await conn.execute(
        "DELETE FROM pickup_choices c USING distributions d"
        f" WHERE d.id = c.distribution_id AND c.user_id = $1{scope}",
        *args,
    )
    if erased:
        await ended.forget(conn, user_id)
        await conn.execute("DELETE FROM members WHERE user_id = $1", user_id)
        await conn.execute("DELETE FROM order_sizes WHERE user_id = $1", user_id)
