"""Use cases of people leaving: a member who left a group or a person erased loses their
bookings, consents, requests and claims (places are freed, the other side is told through
events); and the retention of ended pairings (docs/personal-data.md)."""

import uuid
from typing import Literal

from services.logistics import endings
from services.logistics.repository import ended as ended_repo
from services.logistics.repository import people as people_repo
from services.logistics.repository import pickup as pickup_repo
from services.logistics.repository import requests as request_repo
from services.logistics.repository import slots as slot_repo
from services.logistics.usecase import publish
from shared.contracts.logistics import SlotReleasedV1
from shared.db import Connection, Database
from shared.jobs import BackgroundJob, periodic
from shared.logging import get_logger

log = get_logger(__name__)
# Long enough for the coordinator to settle the distribution's deliveries and answer questions;
# past that the rows say nothing useful (docs/personal-data.md).
KEEP_DAYS_AFTER_DISTRIBUTION = 30
PURGE_SECONDS = 3600.0


async def forget_person(
    conn: Connection, user_id: uuid.UUID, group_id: uuid.UUID | None, erased: bool
) -> None:
    """Member left a group (group_id) or was erased (None): remove bookings, consents,
    requests and claims, freeing places, and tell the other side through events. Runs in the
    caller's transaction (the inbox's)."""
    if group_id is None:
        bookings = await slot_repo.delete_bookings_of_user(conn, user_id)
    else:
        bookings = await slot_repo.delete_bookings_of_member(conn, user_id, group_id)
    for b in sorted(bookings, key=lambda r: r.slot_id):
        starts_at = await slot_repo.give_place_back(conn, b.slot_id)
        await publish(
            conn,
            SlotReleasedV1(
                slot_id=b.slot_id,
                distribution_id=b.distribution_id,
                group_id=b.group_id,
                user_id=user_id,
                starts_at=starts_at,
            ),
        )
    reason: Literal["erased", "member_left"] = "erased" if erased else "member_left"
    if group_id is None:
        requests = await request_repo.delete_requests_of(conn, user_id)
    else:
        requests = await request_repo.delete_requests_in_group(conn, user_id, group_id)
    await endings.requests_cancelled(conn, requests, reason, reason, "requester")
    if group_id is None:
        claims = await request_repo.unassign_claims_of(conn, user_id)
    else:
        claims = await request_repo.unassign_claims_in_group(conn, user_id, group_id)
    await endings.claims_handed_back(conn, claims, reason)
    if group_id is None:
        await pickup_repo.delete_pickup_choices_of_user(conn, user_id)
    else:
        await pickup_repo.delete_pickup_choices_of_member(conn, user_id, group_id)
    if erased:
        await ended_repo.forget(conn, user_id)
        await people_repo.delete_member(conn, user_id)
        await people_repo.delete_order_sizes(conn, user_id)


async def purge_old(conn: Connection, keep_days: int = KEEP_DAYS_AFTER_DISTRIBUTION) -> int:
    return await ended_repo.purge_old(conn, keep_days)


async def _purge_round(db: Database) -> None:
    async with db.transaction() as conn:
        gone = await purge_old(conn)
    if gone:
        log.info("ended_pairings_purged", rows=gone)


# Worker job: ended pairings of distributions over for KEEP_DAYS_AFTER_DISTRIBUTION days.
purge_job: BackgroundJob = periodic(_purge_round, PURGE_SECONDS, "ended_pairings_purge_failed")
