"""SQL of delivery requests. « A request has at most one volunteer » is enforced here on purpose:
the claim is a conditional update (`volunteer_id IS NULL`), so two volunteers racing for it get
one winner without a lock held across round trips.

Ending requests or claims is one fixed statement per case (never a WHERE clause passed around);
each returns the rows it ended so the caller can record them and tell both sides."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import LiteralString

from services.logistics.domain import SharedField
from shared.db import Connection, Record
from shared.queries import returned


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


def _request(r: Record) -> RequestRow:
    return RequestRow(**dict(r))


async def _ended(
    conn: Connection, statement: LiteralString, *args: uuid.UUID
) -> list[EndedRequest]:
    """Run one of the fixed statements below that end requests or claims; the rows it ended."""
    rows = await conn.fetch(statement, *args)
    return [
        EndedRequest(
            id=r["id"],
            distribution_id=r["distribution_id"],
            group_id=r["group_id"],
            requester_id=r["requester_id"],
            volunteer_id=r["volunteer_id"],
        )
        for r in rows
    ]


async def requests_of(conn: Connection, distribution_id: uuid.UUID) -> list[RequestRow]:
    rows = await conn.fetch(
        "SELECT r.id AS request_id, r.distribution_id, r.group_id, r.requester_id,"
        " r.volunteer_id, r.requested_at,"
        " coalesce(m.first_name, '') AS first_name, m.postcode,"
        " o.items AS order_items, o.total_cents AS order_total_cents,"
        " c.consent_fields, c.consented_at, c.consent_text_version"
        " FROM delivery_requests r"
        " LEFT JOIN members m ON m.user_id = r.requester_id"
        " LEFT JOIN order_sizes o ON o.distribution_id = r.distribution_id"
        "                        AND o.user_id = r.requester_id"
        " LEFT JOIN pickup_choices c ON c.distribution_id = r.distribution_id"
        "                           AND c.user_id = r.requester_id"
        " WHERE r.distribution_id = $1 ORDER BY r.requested_at, r.id",
        distribution_id,
    )
    return [_request(r) for r in rows]


async def request_row(conn: Connection, request_id: uuid.UUID) -> RequestRow | None:
    row = await conn.fetchrow(
        "SELECT r.id AS request_id, r.distribution_id, r.group_id, r.requester_id,"
        " r.volunteer_id, r.requested_at,"
        " coalesce(m.first_name, '') AS first_name, m.postcode,"
        " o.items AS order_items, o.total_cents AS order_total_cents,"
        " c.consent_fields, c.consented_at, c.consent_text_version"
        " FROM delivery_requests r"
        " LEFT JOIN members m ON m.user_id = r.requester_id"
        " LEFT JOIN order_sizes o ON o.distribution_id = r.distribution_id"
        "                        AND o.user_id = r.requester_id"
        " LEFT JOIN pickup_choices c ON c.distribution_id = r.distribution_id"
        "                           AND c.user_id = r.requester_id"
        " WHERE r.id = $1",
        request_id,
    )
    return None if row is None else _request(row)


async def own_request(
    conn: Connection, distribution_id: uuid.UUID, requester_id: uuid.UUID
) -> OwnRequest | None:
    row = await conn.fetchrow(
        "SELECT id, volunteer_id FROM delivery_requests"
        " WHERE distribution_id = $1 AND requester_id = $2",
        distribution_id,
        requester_id,
    )
    return None if row is None else OwnRequest(id=row["id"], volunteer_id=row["volunteer_id"])


async def insert_request(
    conn: Connection, distribution_id: uuid.UUID, group_id: uuid.UUID, requester_id: uuid.UUID
) -> uuid.UUID | None:
    """The new request's id; None when the member already has one for this distribution."""
    request_id: uuid.UUID | None = await conn.fetchval(
        "INSERT INTO delivery_requests (id, distribution_id, group_id, requester_id)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING id",
        uuid.uuid4(),
        distribution_id,
        group_id,
        requester_id,
    )
    return request_id


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


async def assign(conn: Connection, request_id: uuid.UUID, volunteer_id: uuid.UUID) -> bool:
    """True when this volunteer won the (still open) request."""
    return await returned(
        conn,
        "UPDATE delivery_requests SET volunteer_id = $2, assigned_at = now()"
        " WHERE id = $1 AND volunteer_id IS NULL RETURNING true",
        request_id,
        volunteer_id,
    )


# --- requests deleted: one statement per case ----------------------------------------------


async def delete_request(conn: Connection, request_id: uuid.UUID) -> list[EndedRequest]:
    return await _ended(
        conn,
        "DELETE FROM delivery_requests r WHERE r.id = $1"
        " RETURNING r.id, r.distribution_id, r.group_id, r.requester_id, r.volunteer_id",
        request_id,
    )


async def delete_requests_in_distribution(
    conn: Connection, requester_id: uuid.UUID, distribution_id: uuid.UUID
) -> list[EndedRequest]:
    return await _ended(
        conn,
        "DELETE FROM delivery_requests r WHERE r.requester_id = $1 AND r.distribution_id = $2"
        " RETURNING r.id, r.distribution_id, r.group_id, r.requester_id, r.volunteer_id",
        requester_id,
        distribution_id,
    )


async def delete_requests_in_group(
    conn: Connection, requester_id: uuid.UUID, group_id: uuid.UUID
) -> list[EndedRequest]:
    return await _ended(
        conn,
        "DELETE FROM delivery_requests r WHERE r.requester_id = $1 AND r.group_id = $2"
        " RETURNING r.id, r.distribution_id, r.group_id, r.requester_id, r.volunteer_id",
        requester_id,
        group_id,
    )


async def delete_requests_of(conn: Connection, requester_id: uuid.UUID) -> list[EndedRequest]:
    return await _ended(
        conn,
        "DELETE FROM delivery_requests r WHERE r.requester_id = $1"
        " RETURNING r.id, r.distribution_id, r.group_id, r.requester_id, r.volunteer_id",
        requester_id,
    )


# --- claims handed back (the request reopens): one statement per case -----------------------
async def unassign_claim(
    conn: Connection,
    request_id: uuid.UUID,
    distribution_id: uuid.UUID,
    group_id: uuid.UUID,
    volunteer_id: uuid.UUID,
) -> list[EndedRequest]:
    return await _ended(
        conn,
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


async def unassign_claims_in_distribution(
    conn: Connection, volunteer_id: uuid.UUID, distribution_id: uuid.UUID
) -> list[EndedRequest]:
    return await _ended(
        conn,
        "WITH old AS (SELECT id, volunteer_id FROM delivery_requests"
        " WHERE volunteer_id = $1 AND distribution_id = $2 FOR UPDATE)"
        " UPDATE delivery_requests r SET volunteer_id = NULL, assigned_at = NULL FROM old"
        " WHERE r.id = old.id"
        " RETURNING r.id, r.distribution_id, r.group_id, r.requester_id, old.volunteer_id",
        volunteer_id,
        distribution_id,
    )


async def unassign_claims_in_group(
    conn: Connection, volunteer_id: uuid.UUID, group_id: uuid.UUID
) -> list[EndedRequest]:
    return await _ended(
        conn,
        "WITH old AS (SELECT id, volunteer_id FROM delivery_requests"
        " WHERE volunteer_id = $1 AND group_id = $2 FOR UPDATE)"
        " UPDATE delivery_requests r SET volunteer_id = NULL, assigned_at = NULL FROM old"
        " WHERE r.id = old.id"
        " RETURNING r.id, r.distribution_id, r.group_id, r.requester_id, old.volunteer_id",
        volunteer_id,
        group_id,
    )


async def unassign_claims_of(conn: Connection, volunteer_id: uuid.UUID) -> list[EndedRequest]:
    return await _ended(
        conn,
        "WITH old AS (SELECT id, volunteer_id FROM delivery_requests"
        " WHERE volunteer_id = $1 FOR UPDATE)"
        " UPDATE delivery_requests r SET volunteer_id = NULL, assigned_at = NULL FROM old"
        " WHERE r.id = old.id"
        " RETURNING r.id, r.distribution_id, r.group_id, r.requester_id, old.volunteer_id",
        volunteer_id,
    )
