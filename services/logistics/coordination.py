"""Use cases of the coordinator's view of a distribution, and the internal lookup of a delivery
request other services make (notifications; a member's slot is slots.booking_of)."""

import uuid

from services.logistics.domain import request_not_found
from services.logistics.models import CoordinationView, InternalRequest, VolunteerOut
from services.logistics.pairing import detail
from services.logistics.repository import distributions as dist_repo
from services.logistics.repository import ended as ended_repo
from services.logistics.repository import pickup as pickup_repo
from services.logistics.repository import requests as request_repo
from services.logistics.repository import slots as slot_repo
from shared.db import Database


async def coordination_view(
    db: Database, group_id: uuid.UUID, distribution_id: uuid.UUID
) -> CoordinationView:
    async with db.connection() as conn:
        await dist_repo.distribution_window(conn, group_id, distribution_id)
        slots = await slot_repo.attendance(conn, distribution_id)
        requests = await request_repo.requests_of(conn, distribution_id)
        choices = await pickup_repo.volunteers_and_pickup_only(conn, distribution_id)
        ended_pairings = await ended_repo.of_distribution(conn, distribution_id)
    details = [detail(r) for r in requests]
    return CoordinationView(
        distribution_id=distribution_id,
        group_id=group_id,
        slots=slots,
        pairs=[d for d in details if d.volunteer_id is not None],
        unpaired=[d for d in details if d.volunteer_id is None],
        need_delivery=details,
        volunteers=[
            VolunteerOut(user_id=c.user_id, first_name=c.first_name, postcode=c.postcode)
            for c in choices
            if c.choice == "can_deliver"
        ],
        pickup_only=[c.user_id for c in choices if c.choice == "pickup_only"],
        ended=ended_pairings,
    )


async def internal_request(db: Database, request_id: uuid.UUID) -> InternalRequest:
    async with db.connection() as conn:
        r = await request_repo.request_row(conn, request_id)
    if r is None:
        raise request_not_found()
    return InternalRequest(
        request_id=r.request_id,
        distribution_id=r.distribution_id,
        group_id=r.group_id,
        requester_id=r.requester_id,
        volunteer_id=r.volunteer_id,
        consented_fields=list(r.consent_fields or []),
        consented_at=r.consented_at,
    )
