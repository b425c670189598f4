"""Distributions: their dates, their offer, the scheduler's claims."""

import uuid
from datetime import datetime

from services.ordering.repository.rows import Distribution, ListedDistribution
from shared.db import Connection
from shared.queries import row_as, rows_as


async def db_now(conn: Connection) -> datetime:
    now: datetime = await conn.fetchval("SELECT now()")
    return now


async def insert_distribution(
    conn: Connection,
    distribution_id: uuid.UUID,
    group_id: uuid.UUID,
    *,
    starts_at: datetime,
    ends_at: datetime,
    opens_at: datetime,
    closes_at: datetime,
    place_name: str,
    place_address: str,
    created_by: uuid.UUID | None,
) -> Distribution | None:
    """The new distribution; None when that id exists already (the seed runs again). The dates
    are checked again by the table's CHECK (opens < closes ≤ starts < ends)."""
    return await row_as(
        conn,
        Distribution,
        "INSERT INTO distributions AS d (id, group_id, starts_at, ends_at, opens_at,"
        " closes_at, place_name, place_address, created_by)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING"
        " RETURNING d.id, d.group_id, d.starts_at, d.ends_at, d.opens_at, d.closes_at,"
        " d.place_name, d.place_address, now() AS db_now",
        distribution_id,
        group_id,
        starts_at,
        ends_at,
        opens_at,
        closes_at,
        place_name,
        place_address,
        created_by,
    )


async def insert_distribution_products(
    conn: Connection, distribution_id: uuid.UUID, prices: list[tuple[uuid.UUID, int]]
) -> None:
    await conn.execute(
        "INSERT INTO distribution_products (distribution_id, product_id, price_cents)"
        " SELECT $1, x.pid, x.price FROM unnest($2::uuid[], $3::int[]) AS x(pid, price)"
        " ON CONFLICT DO NOTHING",
        distribution_id,
        [p for p, _ in prices],
        [c for _, c in prices],
    )


async def get_distribution(
    conn: Connection, group_id: uuid.UUID, distribution_id: uuid.UUID
) -> Distribution | None:
    return await row_as(
        conn,
        Distribution,
        "SELECT d.id, d.group_id, d.starts_at, d.ends_at, d.opens_at, d.closes_at,"
        " d.place_name, d.place_address, now() AS db_now FROM distributions d"
        " WHERE d.id = $1 AND d.group_id = $2",
        distribution_id,
        group_id,
    )


async def list_distributions(
    conn: Connection, group_id: uuid.UUID, user_id: uuid.UUID | None
) -> list[ListedDistribution]:
    return await rows_as(
        conn,
        ListedDistribution,
        "SELECT d.id, d.group_id, d.starts_at, d.ends_at, d.opens_at, d.closes_at,"
        " d.place_name, d.place_address, now() AS db_now, o.id AS order_id,"
        " o.total_cents AS order_total_cents FROM distributions d"
        " LEFT JOIN orders o ON o.distribution_id = d.id AND o.user_id = $2"
        " WHERE d.group_id = $1 ORDER BY d.starts_at, d.id",
        group_id,
        user_id,
    )


async def claim_opened(conn: Connection, limit: int = 100) -> list[Distribution]:
    """Distributions whose ordering opened and was not announced yet, marked announced: a
    conditional UPDATE with SKIP LOCKED, so each is claimed once across replicas."""
    return await rows_as(
        conn,
        Distribution,
        "UPDATE distributions d SET opened_announced_at = now() WHERE d.id IN ("
        " SELECT id FROM distributions WHERE opens_at <= now()"
        " AND opened_announced_at IS NULL ORDER BY opens_at LIMIT $1 FOR UPDATE SKIP LOCKED)"
        " RETURNING d.id, d.group_id, d.starts_at, d.ends_at, d.opens_at, d.closes_at,"
        " d.place_name, d.place_address, now() AS db_now",
        limit,
    )


async def claim_closed(conn: Connection, limit: int = 100) -> list[Distribution]:
    """As `claim_opened`, for distributions whose ordering closed."""
    return await rows_as(
        conn,
        Distribution,
        "UPDATE distributions d SET closed_announced_at = now() WHERE d.id IN ("
        " SELECT id FROM distributions WHERE closes_at <= now()"
        " AND closed_announced_at IS NULL ORDER BY closes_at LIMIT $1 FOR UPDATE SKIP LOCKED)"
        " RETURNING d.id, d.group_id, d.starts_at, d.ends_at, d.opens_at, d.closes_at,"
        " d.place_name, d.place_address, now() AS db_now",
        limit,
    )
