"""What the consumers keep from other services' events: distributions (dates and place of the
mails, the closing reminder), who ordered (the reminder skips them), pairings, reminders sent."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from shared.db import Connection, Record
from shared.queries import returned


@dataclass(frozen=True)
class DistributionRow:
    distribution_id: uuid.UUID
    group_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    opens_at: datetime
    closes_at: datetime
    place_name: str
    place_address: str


def _distribution(row: Record) -> DistributionRow:
    return DistributionRow(
        distribution_id=row["distribution_id"],
        group_id=row["group_id"],
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        opens_at=row["opens_at"],
        closes_at=row["closes_at"],
        place_name=row["place_name"],
        place_address=row["place_address"],
    )


async def upsert_distribution(conn: Connection, row: DistributionRow, event_time: datetime) -> None:
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
        row.distribution_id,
        row.group_id,
        row.starts_at,
        row.ends_at,
        row.opens_at,
        row.closes_at,
        row.place_name,
        row.place_address,
        event_time,
    )


async def get_distribution(conn: Connection, distribution_id: uuid.UUID) -> DistributionRow | None:
    row = await conn.fetchrow(
        "SELECT distribution_id, group_id, starts_at, ends_at, opens_at, closes_at, place_name,"
        " place_address FROM distributions WHERE distribution_id = $1",
        distribution_id,
    )
    return _distribution(row) if row is not None else None


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


async def save_assignment(
    conn: Connection,
    request_id: uuid.UUID,
    distribution_id: uuid.UUID,
    group_id: uuid.UUID,
    requester_id: uuid.UUID,
    volunteer_id: uuid.UUID,
) -> None:
    await conn.execute(
        "INSERT INTO assignments (request_id, distribution_id, group_id, requester_id,"
        " volunteer_id) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (request_id) DO UPDATE SET volunteer_id = EXCLUDED.volunteer_id",
        request_id,
        distribution_id,
        group_id,
        requester_id,
        volunteer_id,
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
) -> list[DistributionRow]:
    rows = await conn.fetch(
        "SELECT distribution_id, group_id, starts_at, ends_at, opens_at, closes_at, place_name,"
        " place_address FROM distributions d"
        " WHERE d.opens_at <= now() AND d.closes_at > now()"
        " AND d.closes_at <= now() + make_interval(secs => $1)"
        " AND NOT EXISTS (SELECT 1 FROM reminders_sent r"
        "                 WHERE r.distribution_id = d.distribution_id)",
        hours_before * 3600.0,
    )
    return [_distribution(r) for r in rows]


async def claim_reminder(conn: Connection, distribution_id: uuid.UUID) -> bool:
    return await returned(
        conn,
        "INSERT INTO reminders_sent (distribution_id) VALUES ($1)"
        " ON CONFLICT DO NOTHING RETURNING true",
        distribution_id,
    )
