"""A pairing that ends other than by delivery: recorded for the coordinator (ended_pairings) and
told through events. Both events carry both ids and who ended it: notifications writes to the
other side from the event alone, whatever it has already forgotten (an erasure handled first).

The rows come from the fixed statements of repository/requests.py; `person_withdraws` runs them
for a person leaving a distribution, a group or everything."""

import uuid
from typing import Literal, TypedDict

from services.logistics.repository import ended as ended_repo
from services.logistics.repository import requests as request_repo
from services.logistics.repository.requests import EndedRequest
from services.logistics.usecase import publish
from shared.contracts.logistics import DeliveryCancelledV1, DeliveryUnassignedV1, EndedBy
from shared.db import Connection

UnassignReason = Literal[
    "volunteer_withdrew", "requester_cancelled", "revoked", "member_left", "erased"
]
CancelReason = Literal["requester_cancelled", "revoked", "member_left", "erased"]


class _RequestNamed(TypedDict):
    """What every delivery event says of its request."""

    request_id: uuid.UUID
    distribution_id: uuid.UUID
    group_id: uuid.UUID
    requester_id: uuid.UUID


def _named(r: EndedRequest) -> _RequestNamed:
    return _RequestNamed(
        request_id=r.id,
        distribution_id=r.distribution_id,
        group_id=r.group_id,
        requester_id=r.requester_id,
    )


async def _pairing_ended(
    conn: Connection,
    r: EndedRequest,
    volunteer_id: uuid.UUID,
    recorded: str,
    reason: UnassignReason,
    ended_by: EndedBy,
) -> None:
    """A request loses its volunteer: recorded for the coordinator (reason `recorded`) and told
    to both sides (event unassigned, reason `reason`)."""
    await ended_repo.record(conn, r, volunteer_id, recorded, ended_by)
    await publish(
        conn,
        DeliveryUnassignedV1(
            **_named(r), volunteer_id=volunteer_id, reason=reason, ended_by=ended_by
        ),
    )


async def requests_cancelled(
    conn: Connection,
    rows: list[EndedRequest],
    cancel: CancelReason,
    unassign: UnassignReason,
    ended_by: EndedBy,
) -> int:
    """Requests deleted: tell the volunteer (unassigned) and everyone (cancelled)."""
    for r in rows:
        if r.volunteer_id is not None:
            await _pairing_ended(conn, r, r.volunteer_id, cancel, unassign, ended_by)
        await publish(
            conn,
            DeliveryCancelledV1(
                **_named(r), reason=cancel, volunteer_id=r.volunteer_id, ended_by=ended_by
            ),
        )
    return len(rows)


async def claims_handed_back(
    conn: Connection, rows: list[EndedRequest], reason: UnassignReason
) -> int:
    """The requests a volunteer had taken reopen (event unassigned, the volunteer's side ended:
    the requester is the one to tell)."""
    for r in rows:
        assert r.volunteer_id is not None  # the statements return the volunteer handed back
        await _pairing_ended(conn, r, r.volunteer_id, reason, reason, "volunteer")
    return len(rows)


async def person_withdraws(
    conn: Connection,
    person_id: uuid.UUID,
    as_requester: CancelReason,
    as_volunteer: UnassignReason,
    *,
    distribution_id: uuid.UUID | None = None,
    group_id: uuid.UUID | None = None,
) -> None:
    """The person no longer needs delivery nor delivers (in that distribution, that group, or
    anywhere): their own requests are deleted and cancelled, their volunteers told (reason
    `as_requester`); the requests they took reopen, their requesters told (`as_volunteer`)."""
    cancelled = await request_repo.delete_requests_of(
        conn, person_id, distribution_id=distribution_id, group_id=group_id
    )
    await requests_cancelled(conn, cancelled, as_requester, as_requester, "requester")
    handed_back = await request_repo.unassign_claims_of(
        conn, person_id, distribution_id=distribution_id, group_id=group_id
    )
    await claims_handed_back(conn, handed_back, as_volunteer)
