"""SQL of ended pairings: pairings that ended other than by delivery, for the coordinator's
page « Créneaux et livraisons ». A row keeps both ids so the coordinator can see who is no longer
delivered or delivering; erasure blanks the erased person's id and keeps only the fact and its
reason."""

import uuid

from services.logistics.models import EndedPairing
from services.logistics.repository.requests import EndedRequest
from shared.db import Connection
from shared.queries import counted, rows_as


async def record(
    conn: Connection, request: EndedRequest, volunteer_id: uuid.UUID, reason: str, ended_by: str
) -> None:
    """The request lost its volunteer (`volunteer_id`, the one it had)."""
    await conn.execute(
        "INSERT INTO ended_pairings (request_id, distribution_id, group_id, requester_id,"
        " volunteer_id, reason, ended_by) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        " ON CONFLICT DO NOTHING",
        request.id,
        request.distribution_id,
        request.group_id,
        request.requester_id,
        volunteer_id,
        reason,
        ended_by,
    )


async def of_distribution(conn: Connection, distribution_id: uuid.UUID) -> list[EndedPairing]:
    return await rows_as(
        conn,
        EndedPairing,
        "SELECT e.request_id, e.requester_id, m.first_name AS requester_first_name,"
        " e.volunteer_id, e.reason, e.ended_by, e.ended_at"
        " FROM ended_pairings e LEFT JOIN members m ON m.user_id = e.requester_id"
        " WHERE e.distribution_id = $1 ORDER BY e.ended_at, e.request_id",
        distribution_id,
    )


async def forget(conn: Connection, user_id: uuid.UUID) -> None:
    """Erasure: the pairing stays ended for the coordinator, without the erased person's id."""
    await conn.execute(
        "UPDATE ended_pairings SET requester_id = NULL WHERE requester_id = $1", user_id
    )
    await conn.execute(
        "UPDATE ended_pairings SET volunteer_id = NULL WHERE volunteer_id = $1", user_id
    )


async def purge_old(conn: Connection, keep_days: int) -> int:
    """Ended pairings of distributions over for more than keep_days: how many went."""
    return await counted(
        conn,
        "WITH gone AS (DELETE FROM ended_pairings e USING distributions d"
        " WHERE d.id = e.distribution_id AND d.ends_at < now() - make_interval(days => $1)"
        " RETURNING 1) SELECT count(*) FROM gone",
        keep_days,
    )
