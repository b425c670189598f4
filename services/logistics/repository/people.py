"""SQL of what logistics keeps about people: its copy of members, order sizes, and the ends of
memberships it was told about (shared.revocations)."""

import uuid

from shared.db import Connection
from shared.queries import returned


async def membership_ended_since(
    conn: Connection, group_id: uuid.UUID, user_id: uuid.UUID, issued_at: float
) -> bool:
    """True when the membership ended at or after that time (a token issued before it)."""
    return await returned(
        conn,
        "SELECT true FROM membership_revocations WHERE user_id = $1 AND group_id = $2"
        " AND ended_at >= to_timestamp($3)",
        user_id,
        group_id,
        issued_at,
    )


async def delete_member(conn: Connection, user_id: uuid.UUID) -> None:
    await conn.execute("DELETE FROM members WHERE user_id = $1", user_id)


async def delete_order_sizes(conn: Connection, user_id: uuid.UUID) -> None:
    await conn.execute("DELETE FROM order_sizes WHERE user_id = $1", user_id)
