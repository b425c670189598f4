"""SQL of pickup choices (with the consent of a need-delivery choice)."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from services.logistics.domain import Choice, SharedField
from services.logistics.repository.requests import EndedRequest, OwnRequest
from shared.db import Connection
from shared.queries import returned, row_as, rows_as


@dataclass(frozen=True)
class PickupChoice:
    choice: Choice
    # Set together, for a need-delivery choice only (the table's CHECK).
    consent_fields: list[SharedField] | None
    consent_text_version: str | None
    consented_at: datetime | None


async def pickup_choice(
    conn: Connection, distribution_id: uuid.UUID, user_id: uuid.UUID
) -> PickupChoice | None:
    return await row_as(
        conn,
        PickupChoice,
        "SELECT choice, consent_fields, consent_text_version, consented_at FROM pickup_choices"
        " WHERE distribution_id = $1 AND user_id = $2",
        distribution_id,
        user_id,
    )


async def is_volunteer(conn: Connection, distribution_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    choice = await conn.fetchval(
        "SELECT choice FROM pickup_choices WHERE distribution_id = $1 AND user_id = $2",
        distribution_id,
        user_id,
    )
    return bool(choice == "can_deliver")


@dataclass(frozen=True)
class PickupChange:
    """What `set_pickup_choice` (migrations/0004) did; `refused` names the problem when it did
    nothing (the distribution unknown or over)."""

    refused: str | None
    choice: PickupChoice | None
    own_request: OwnRequest | None  # the member's request after the change
    requested: uuid.UUID | None  # the request created now (event requested)
    cancelled: list[EndedRequest]  # the member's own request, deleted
    handed_back: list[EndedRequest]  # the requests the member had taken, reopened


async def set_pickup_choice(
    conn: Connection,
    group_id: uuid.UUID,
    distribution_id: uuid.UUID,
    user_id: uuid.UUID,
    choice: Choice,
    consent_fields: list[SharedField] | None,
    consent_text_version: str | None,
    first_name: str,
) -> PickupChange:
    """The choice, its request and the pairings it ends, in one call: the statements the use
    case ran one by one, in the same order and each with a fresh snapshot (see the function)."""
    row = await conn.fetchrow(
        "SELECT * FROM set_pickup_choice($1, $2, $3, $4, $5, $6, $7, $8)",
        distribution_id,
        group_id,
        user_id,
        choice,
        consent_fields,
        consent_text_version,
        first_name,
        uuid.uuid4(),
    )
    assert row is not None  # a function with OUT parameters returns one row
    if row["outcome"] != "ok":
        return PickupChange(row["outcome"], None, None, None, [], [])

    cancelled_ids = row["cancelled_ids"] or []
    handed_back_ids = row["handed_back_ids"] or []
    return PickupChange(
        refused=None,
        choice=PickupChoice(
            row["choice"], row["consent_fields"], row["consent_text_version"], row["consented_at"]
        ),
        own_request=None
        if row["request_id"] is None
        else OwnRequest(row["request_id"], row["request_volunteer_id"]),
        requested=row["requested"],
        cancelled=[
            EndedRequest(request, distribution_id, group_id, user_id, volunteer)
            for request, volunteer in zip(
                cancelled_ids, row["cancelled_volunteer_ids"] or [], strict=True
            )
        ],
        handed_back=[
            EndedRequest(request, distribution_id, group_id, requester, user_id)
            for request, requester in zip(
                handed_back_ids, row["handed_back_requester_ids"] or [], strict=True
            )
        ],
    )


async def delete_pickup_choice(
    conn: Connection, distribution_id: uuid.UUID, user_id: uuid.UUID
) -> bool:
    """True when there was one."""
    return await returned(
        conn,
        "DELETE FROM pickup_choices WHERE distribution_id = $1 AND user_id = $2 RETURNING true",
        distribution_id,
        user_id,
    )


async def delete_pickup_choices_of(
    conn: Connection, user_id: uuid.UUID, group_id: uuid.UUID | None
) -> None:
    """The person's choices in that group's distributions, or everywhere (None); the
    pickup_choices_user index serves both cases."""
    await conn.execute(
        "DELETE FROM pickup_choices c USING distributions d"
        " WHERE d.id = c.distribution_id AND c.user_id = $1"
        " AND ($2::uuid IS NULL OR d.group_id = $2)",
        user_id,
        group_id,
    )


@dataclass(frozen=True)
class MemberChoice:
    """A volunteer's or a pickup-only member's choice, with their name, for the coordinator."""

    user_id: uuid.UUID
    choice: Choice
    first_name: str
    postcode: str | None


async def volunteers_and_pickup_only(
    conn: Connection, distribution_id: uuid.UUID
) -> list[MemberChoice]:
    return await rows_as(
        conn,
        MemberChoice,
        "SELECT c.user_id, c.choice, coalesce(m.first_name, '') AS first_name, m.postcode"
        " FROM pickup_choices c LEFT JOIN members m ON m.user_id = c.user_id"
        " WHERE c.distribution_id = $1 AND c.choice IN ('can_deliver', 'pickup_only')"
        " ORDER BY m.first_name, c.user_id",
        distribution_id,
    )
