"""Use cases of people leaving: a member who left a group or a person erased loses their
bookings, consents, requests and claims (places are freed, the other side is told through
events); and the retention of ended pairings (docs/personal-data.md)."""

import uuid
from typing import Literal

from services.logistics import endings, slots
from services.logistics.repository import ended as ended_repo
from services.logistics.repository import people as people_repo
from services.logistics.repository import pickup as pickup_repo
from services.logistics.repository import slots as slot_repo
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
    bookings = await slot_repo.delete_bookings_of(conn, user_id, group_id)
    for b in sorted(bookings, key=lambda r: r.slot_id):
        await slots.place_given_back(conn, b.slot_id, b.distribution_id, b.group_id, user_id)
    reason: Literal["erased", "member_left"] = "erased" if erased else "member_left"
    await endings.person_withdraws(conn, user_id, reason, reason, group_id=group_id)
    await pickup_repo.delete_pickup_choices_of(conn, user_id, group_id)
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
