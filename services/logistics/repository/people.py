"""SQL of what logistics keeps about people: its copy of members and order sizes. (The ends of
memberships it was told about, shared.revocations, are checked by the claim itself:
`claim_delivery_request`, migrations/0004.)"""

import uuid

from shared.db import Connection


async def delete_member(conn: Connection, user_id: uuid.UUID) -> None:
    await conn.execute("DELETE FROM members WHERE user_id = $1", user_id)


async def delete_order_sizes(conn: Connection, user_id: uuid.UUID) -> None:
    await conn.execute("DELETE FROM order_sizes WHERE user_id = $1", user_id)
