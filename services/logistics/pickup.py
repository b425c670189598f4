"""Use cases of the pickup choice: how a member's order is collected (pickup, need delivery with
consent, can deliver), and withdrawing it. Changing one's mind ends the pairings it no longer
allows (endings.py)."""

import uuid

from services.logistics import endings
from services.logistics.domain import (
    REFUSED_IN_SQL,
    consent_not_allowed,
    consent_required,
    no_pickup_choice,
)
from services.logistics.models import ConsentOut, PickupIn, PickupView, RequestState
from services.logistics.repository import distributions as dist_repo
from services.logistics.repository import pickup as pickup_repo
from services.logistics.repository import requests as request_repo
from services.logistics.repository.pickup import PickupChoice
from services.logistics.repository.requests import OwnRequest
from services.logistics.usecase import in_transaction, publish
from shared.contracts.logistics import DeliveryRequestedV1
from shared.db import Connection, Database


async def pickup_view(
    db: Database, group_id: uuid.UUID, distribution_id: uuid.UUID, user_id: uuid.UUID
) -> PickupView:
    async with db.connection() as conn:
        await dist_repo.distribution_window(conn, group_id, distribution_id)
        return await _pickup_view(conn, group_id, distribution_id, user_id)


async def _pickup_view(
    conn: Connection, group_id: uuid.UUID, distribution_id: uuid.UUID, user_id: uuid.UUID
) -> PickupView:
    choice = await pickup_repo.pickup_choice(conn, distribution_id, user_id)
    request = await request_repo.own_request(conn, distribution_id, user_id)
    return _view(group_id, distribution_id, user_id, choice, request)


def _view(
    group_id: uuid.UUID,
    distribution_id: uuid.UUID,
    user_id: uuid.UUID,
    choice: PickupChoice | None,
    request: OwnRequest | None,
) -> PickupView:
    consent = None
    if choice is not None and choice.consent_fields is not None:
        # Set together with the fields (the table's CHECK).
        assert choice.consent_text_version is not None and choice.consented_at is not None
        consent = ConsentOut(
            fields=choice.consent_fields,
            text_version=choice.consent_text_version,
            consented_at=choice.consented_at,
        )
    return PickupView(
        distribution_id=distribution_id,
        group_id=group_id,
        user_id=user_id,
        choice=None if choice is None else choice.choice,
        consent=consent,
        request=None
        if request is None
        else RequestState(
            request_id=request.id,
            status="open" if request.volunteer_id is None else "assigned",
            volunteer_id=request.volunteer_id,
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

    async def work(conn: Connection) -> PickupView:
        consent = body.consent
        change = await pickup_repo.set_pickup_choice(
            conn,
            group_id,
            distribution_id,
            user_id,
            body.choice,
            None if consent is None else list(consent.fields),
            None if consent is None else consent.text_version,
            first_name,
        )
        if change.refused is not None:
            raise REFUSED_IN_SQL[change.refused]()
        if change.requested is not None:
            await publish(
                conn,
                DeliveryRequestedV1(
                    request_id=change.requested,
                    distribution_id=distribution_id,
                    group_id=group_id,
                    requester_id=user_id,
                ),
            )
        # Recorded and told as when the member withdraws them (endings.py).
        await endings.requests_cancelled(
            conn, change.cancelled, "requester_cancelled", "requester_cancelled", "requester"
        )
        await endings.claims_handed_back(conn, change.handed_back, "volunteer_withdrew")
        return _view(group_id, distribution_id, user_id, change.choice, change.own_request)

    return await in_transaction(db, work)


async def withdraw_pickup(
    db: Database, group_id: uuid.UUID, distribution_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    async def work(conn: Connection) -> None:
        await dist_repo.distribution_window(conn, group_id, distribution_id)
        if not await pickup_repo.delete_pickup_choice(conn, distribution_id, user_id):
            raise no_pickup_choice()
        # No longer in need of delivery nor delivering in this distribution (endings.py).
        await endings.person_withdraws(
            conn,
            user_id,
            "requester_cancelled",
            "volunteer_withdrew",
            distribution_id=distribution_id,
        )

    await in_transaction(db, work)
