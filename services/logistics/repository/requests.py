"""SQL of delivery requests. « A request has at most one volunteer » is enforced in SQL on
purpose: the claim (`claim_delivery_request`, migrations/0004) is a conditional update
(`volunteer_id IS NULL`), so two volunteers racing for it get one winner without a lock held
across round trips.

Ending requests or claims is one fixed statement per key (a request, a requester, a volunteer),
with optional filters as parameters (never a WHERE clause passed around); each returns the rows
it ended so the caller can record them and tell both sides."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from services.logistics.domain import SharedField
from shared.db import Connection
from shared.queries import row_as, rows_as


@dataclass(frozen=True)
class RequestRow:
    """A delivery request with what a volunteer or the coordinator sees of the requester."""

    request_id: uuid.UUID
    distribution_id: uuid.UUID
    group_id: uuid.UUID
    requester_id: uuid.UUID
    volunteer_id: uuid.UUID | None
    requested_at: datetime
    first_name: str
    postcode: str | None
    order_items: int | None
    order_total_cents: int | None
    consent_fields: list[SharedField] | None
    consented_at: datetime | None
    consent_text_version: str | None


@dataclass(frozen=True)
class OwnRequest:
    """The requester's own request, for their pickup page."""

    id: uuid.UUID
    volunteer_id: uuid.UUID | None


@dataclass(frozen=True)
class EndedRequest:
    """A request deleted or handed back; volunteer_id is the volunteer it had (or None)."""

    id: uuid.UUID
    distribution_id: uuid.UUID
    group_id: uuid.UUID
    requester_id: uuid.UUID
    volunteer_id: uuid.UUID | None


async def requests_of(conn: Connection, distribution_id: uuid.UUID) -> list[RequestRow]:
    return await rows_as(
        conn,
        RequestRow,
        "SELECT * FROM request_rows WHERE distribution_id = $1 ORDER BY requested_at, request_id",
        distribution_id,
    )


async def request_row(conn: Connection, request_id: uuid.UUID) -> RequestRow | None:
    return await row_as(
        conn, RequestRow, "SELECT * FROM request_rows WHERE request_id = $1", request_id
    )


async def own_request(
    conn: Connection, distribution_id: uuid.UUID, requester_id: uuid.UUID
) -> OwnRequest | None:
    return await row_as(
        conn,
        OwnRequest,
        "SELECT id, volunteer_id FROM delivery_requests"
        " WHERE distribution_id = $1 AND requester_id = $2",
        distribution_id,
        requester_id,
    )


_REQUESTER = (
    "SELECT requester_id FROM delivery_requests"
    " WHERE id = $1 AND distribution_id = $2 AND group_id = $3"
)
_REQUESTER_FOR_UPDATE = (
    "SELECT requester_id FROM delivery_requests"
    " WHERE id = $1 AND distribution_id = $2 AND group_id = $3 FOR UPDATE"
)


async def requester_of(
    conn: Connection,
    request_id: uuid.UUID,
    distribution_id: uuid.UUID,
    group_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> uuid.UUID | None:
    """The request's requester when it is in this distribution of this group; `for_update`
    locks the request until the end of the transaction."""
    requester: uuid.UUID | None = await conn.fetchval(
        _REQUESTER_FOR_UPDATE if for_update else _REQUESTER,
        request_id,
        distribution_id,
        group_id,
    )
    return requester


ClaimOutcome = Literal[
    "assigned",  # won now
    "already-mine",
    "already-taken",
    "distribution-not-found",
    "distribution-over",
    "membership-ended",
    "request-not-found",
    "own-request",
    "not-volunteer",
]


async def claim(
    conn: Connection,
    group_id: uuid.UUID,
    distribution_id: uuid.UUID,
    request_id: uuid.UUID,
    volunteer_id: uuid.UUID,
    token_issued_at: float | None,
) -> tuple[ClaimOutcome, RequestRow | None]:
    """The claim and its checks, in their order, in one call of `claim_delivery_request`
    (migrations/0004): the outcome, and the request as volunteers see it once claimed, or not
    (None when refused before). `token_issued_at` None: the membership is not checked."""
    row = await conn.fetchrow(
        "SELECT * FROM claim_delivery_request($1, $2, $3, $4, $5)",
        distribution_id,
        group_id,
        request_id,
        volunteer_id,
        token_issued_at,
    )
    assert row is not None  # the function always returns its one row
    columns = dict(row)
    outcome: ClaimOutcome = columns.pop("outcome")
    return outcome, None if columns["request_id"] is None else RequestRow(**columns)


# --- requests deleted ----------------------------------------------------------------------
async def delete_request(conn: Connection, request_id: uuid.UUID) -> list[EndedRequest]:
    return await rows_as(
        conn,
        EndedRequest,
        "DELETE FROM delivery_requests r WHERE r.id = $1"
        " RETURNING r.id, r.distribution_id, r.group_id, r.requester_id, r.volunteer_id",
        request_id,
    )


async def delete_requests_of(
    conn: Connection,
    requester_id: uuid.UUID,
    *,
    distribution_id: uuid.UUID | None = None,
    group_id: uuid.UUID | None = None,
) -> list[EndedRequest]:
    """The requester's requests, everywhere or only in that distribution or group (a None
    filter matches all). `requester_id = $1` always holds, so the requester index serves every
    case and the other filters apply to its few rows."""
    return await rows_as(
        conn,
        EndedRequest,
        "DELETE FROM delivery_requests r WHERE r.requester_id = $1"
        " AND ($2::uuid IS NULL OR r.distribution_id = $2)"
        " AND ($3::uuid IS NULL OR r.group_id = $3)"
        " RETURNING r.id, r.distribution_id, r.group_id, r.requester_id, r.volunteer_id",
        requester_id,
        distribution_id,
        group_id,
    )


# --- claims handed back (the request reopens) -----------------------------------------------
async def unassign_claim(
    conn: Connection,
    request_id: uuid.UUID,
    distribution_id: uuid.UUID,
    group_id: uuid.UUID,
    volunteer_id: uuid.UUID,
) -> list[EndedRequest]:
    """That request, when this volunteer holds it in this distribution of this group."""
    return await rows_as(
        conn,
        EndedRequest,
        "WITH old AS (SELECT id, volunteer_id FROM delivery_requests"
        " WHERE id = $1 AND distribution_id = $2 AND group_id = $3 AND volunteer_id = $4"
        " FOR UPDATE)"
        " UPDATE delivery_requests r SET volunteer_id = NULL, assigned_at = NULL FROM old"
        " WHERE r.id = old.id"
        " RETURNING r.id, r.distribution_id, r.group_id, r.requester_id, old.volunteer_id",
        request_id,
        distribution_id,
        group_id,
        volunteer_id,
    )


async def unassign_claims_of(
    conn: Connection,
    volunteer_id: uuid.UUID,
    *,
    distribution_id: uuid.UUID | None = None,
    group_id: uuid.UUID | None = None,
) -> list[EndedRequest]:
    """The requests the volunteer holds, everywhere or only in that distribution or group (a
    None filter matches all); the volunteer index serves every case, as for the requester."""
    return await rows_as(
        conn,
        EndedRequest,
        "WITH old AS (SELECT id, volunteer_id FROM delivery_requests"
        " WHERE volunteer_id = $1 AND ($2::uuid IS NULL OR distribution_id = $2)"
        " AND ($3::uuid IS NULL OR group_id = $3) FOR UPDATE)"
        " UPDATE delivery_requests r SET volunteer_id = NULL, assigned_at = NULL FROM old"
        " WHERE r.id = old.id"
        " RETURNING r.id, r.distribution_id, r.group_id, r.requester_id, old.volunteer_id",
        volunteer_id,
        distribution_id,
        group_id,
    )
