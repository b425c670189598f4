"""Use cases of pairing: the requests a volunteer can take, taking one (claim), giving it back,
and the coordinator revoking a need-delivery status."""

import uuid

from services.logistics import endings
from services.logistics.domain import REFUSED_IN_SQL, not_volunteer, request_not_found
from services.logistics.models import RequestDetail, RequestList, RequestSummary
from services.logistics.repository import distributions as dist_repo
from services.logistics.repository import pickup as pickup_repo
from services.logistics.repository import requests as request_repo
from services.logistics.repository.requests import RequestRow
from services.logistics.usecase import in_transaction, publish
from shared.contracts.logistics import DeliveryAssignedV1
from shared.db import Connection, Database


def summary(r: RequestRow) -> RequestSummary:
    return RequestSummary(
        request_id=r.request_id,
        first_name=r.first_name,
        postcode=r.postcode,
        order_items=r.order_items,
        order_total_cents=r.order_total_cents,
        status="open" if r.volunteer_id is None else "assigned",
        volunteer_id=r.volunteer_id,
        requested_at=r.requested_at,
    )


def detail(r: RequestRow) -> RequestDetail:
    return RequestDetail(
        **summary(r).model_dump(),
        requester_id=r.requester_id,
        consented_fields=list(r.consent_fields or []),
        consented_at=r.consented_at,
        consent_text_version=r.consent_text_version,
    )


async def list_requests(
    db: Database,
    group_id: uuid.UUID,
    distribution_id: uuid.UUID,
    user_id: uuid.UUID,
    coordinator: bool = False,
) -> RequestList:
    async with db.connection() as conn:
        await dist_repo.distribution_window(conn, group_id, distribution_id)
        if not coordinator and not await pickup_repo.is_volunteer(conn, distribution_id, user_id):
            raise not_volunteer()
        rows = await request_repo.requests_of(conn, distribution_id)
    return RequestList(
        open=[summary(r) for r in rows if r.volunteer_id is None and r.requester_id != user_id],
        mine=[summary(r) for r in rows if r.volunteer_id == user_id],
    )


async def claim_request(
    db: Database,
    group_id: uuid.UUID,
    distribution_id: uuid.UUID,
    request_id: uuid.UUID,
    volunteer_id: uuid.UUID,
    token_issued_at: float | None = None,
) -> RequestSummary:
    async def work(conn: Connection) -> RequestSummary:
        # One call: the checks in their order, then the conditional claim. The membership is
        # checked in the claim's transaction, not only against the api's in-memory copy: a
        # claim racing the membership's end is refused once the end is recorded here
        # (shared.revocations). The volunteer's choice is held FOR SHARE until this commits.
        outcome, row = await request_repo.claim(
            conn, group_id, distribution_id, request_id, volunteer_id, token_issued_at
        )
        refused = REFUSED_IN_SQL.get(outcome)
        if refused is not None:
            raise refused()
        assert row is not None  # claimed (now or before): the function returns the request
        if outcome == "assigned":
            await publish(
                conn,
                DeliveryAssignedV1(
                    request_id=request_id,
                    distribution_id=distribution_id,
                    group_id=group_id,
                    requester_id=row.requester_id,
                    volunteer_id=volunteer_id,
                    consented_fields=list(row.consent_fields or []),
                ),
            )
        return summary(row)  # already mine: the same answer, nothing new to tell

    return await in_transaction(db, work)


async def withdraw_claim(
    db: Database,
    group_id: uuid.UUID,
    distribution_id: uuid.UUID,
    request_id: uuid.UUID,
    volunteer_id: uuid.UUID,
) -> None:
    async def work(conn: Connection) -> None:
        await dist_repo.distribution_window(conn, group_id, distribution_id)
        rows = await request_repo.unassign_claim(
            conn, request_id, distribution_id, group_id, volunteer_id
        )
        if not await endings.claims_handed_back(conn, rows, "volunteer_withdrew"):
            raise request_not_found()

    await in_transaction(db, work)


async def revoke_request(
    db: Database, group_id: uuid.UUID, distribution_id: uuid.UUID, request_id: uuid.UUID
) -> None:
    async def work(conn: Connection) -> None:
        await dist_repo.distribution_window(conn, group_id, distribution_id)
        requester = await request_repo.requester_of(
            conn, request_id, distribution_id, group_id, for_update=True
        )
        if requester is None:
            raise request_not_found()
        await pickup_repo.delete_pickup_choice(conn, distribution_id, requester)
        rows = await request_repo.delete_request(conn, request_id)
        await endings.requests_cancelled(conn, rows, "revoked", "revoked", "coordinator")

    await in_transaction(db, work)
