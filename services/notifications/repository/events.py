"""What the consumers keep from other services' events: distributions (dates and place of the
mails, the closing reminder), who ordered (the reminder skips them), pairings, reminders sent.
A distribution is kept as ordering's events describe it (`DistributionV1`), a pairing as
logistics' `DeliveryAssignedV1` names it."""

import uuid
from datetime import datetime

from shared.contracts.logistics import DeliveryAssignedV1
from shared.contracts.ordering import DistributionV1
from shared.db import Connection
from shared.queries import returned, row_as, rows_as


async def upsert_distribution(
    conn: Connection, distribution: DistributionV1, event_time: datetime
) -> None:
    await conn.execute(
        "INSERT INTO distributions (distribution_id, group_id, starts_at, ends_at, opens_at,"
        " closes_at, place_name, place_address, event_time)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        " ON CONFLICT (distribution_id) DO UPDATE SET group_id = EXCLUDED.group_id,"
        " starts_at = EXCLUDED.starts_at, ends_at = EXCLUDED.ends_at,"
        " opens_at = EXCLUDED.opens_at, closes_at = EXCLUDED.closes_at,"
        " place_name = EXCLUDED.place_name, place_address = EXCLUDED.place_address,"
        " event_time = EXCLUDED.event_time, updated_at = now()"
        " WHERE distributions.event_time <= EXCLUDED.event_time",
        distribution.distribution_id,
        distribution.group_id,
        distribution.starts_at,
        distribution.ends_at,
        distribution.opens_at,
        distribution.closes_at,
        distribution.place_name,
        distribution.place_address,
        event_time,
    )


async def get_distribution(conn: Connection, distribution_id: uuid.UUID) -> DistributionV1 | None:
    return await row_as(
        conn,
        DistributionV1,
        "SELECT distribution_id, group_id, starts_at, ends_at, opens_at, closes_at, place_name,"
        " place_address FROM distributions WHERE distribution_id = $1",
        distribution_id,
    )


async def record_order(conn: Connection, distribution_id: uuid.UUID, user_id: uuid.UUID) -> None:
    await conn.execute(
        "INSERT INTO orders (distribution_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        distribution_id,
        user_id,
    )


async def users_with_order(conn: Connection, distribution_id: uuid.UUID) -> set[uuid.UUID]:
    rows = await conn.fetch(
        "SELECT user_id FROM orders WHERE distribution_id = $1", distribution_id
    )
    return {r["user_id"] for r in rows}


async def save_assignment(conn: Connection, pairing: DeliveryAssignedV1) -> None:
    await conn.execute(
        "INSERT INTO assignments (request_id, distribution_id, group_id, requester_id,"
        " volunteer_id) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (request_id) DO UPDATE SET volunteer_id = EXCLUDED.volunteer_id",
        pairing.request_id,
        pairing.distribution_id,
        pairing.group_id,
        pairing.requester_id,
        pairing.volunteer_id,
    )


async def remove_assignment(conn: Connection, request_id: uuid.UUID) -> uuid.UUID | None:
    """The volunteer the request was assigned to, if it still was."""
    volunteer: uuid.UUID | None = await conn.fetchval(
        "DELETE FROM assignments WHERE request_id = $1 RETURNING volunteer_id", request_id
    )
    return volunteer


# --- the reminder scheduler ----------------------------------------------------------------


async def distributions_needing_reminder(
    conn: Connection, hours_before: float
) -> list[DistributionV1]:
    return await rows_as(
        conn,
        DistributionV1,
        "SELECT distribution_id, group_id, starts_at, ends_at, opens_at, closes_at, place_name,"
        " place_address FROM distributions d"
        " WHERE d.opens_at <= now() AND d.closes_at > now()"
        " AND d.closes_at <= now() + make_interval(secs => $1)"
        " AND NOT EXISTS (SELECT 1 FROM reminders_sent r"
        "                 WHERE r.distribution_id = d.distribution_id)",
        hours_before * 3600.0,
    )


async def claim_reminder(conn: Connection, distribution_id: uuid.UUID) -> bool:
    return await returned(
        conn,
        "INSERT INTO reminders_sent (distribution_id) VALUES ($1)"
        " ON CONFLICT DO NOTHING RETURNING true",
        distribution_id,
    )
