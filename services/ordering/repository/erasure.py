"""A person erased by accounts: ordering keeps the amounts and forgets who they were."""

import uuid

from shared.db import Connection


async def anonymise_user(conn: Connection, user_id: uuid.UUID, anonymous: uuid.UUID) -> None:
    await conn.execute("DELETE FROM cart_lines WHERE user_id = $1", user_id)
    await conn.execute("UPDATE orders SET user_id = $2 WHERE user_id = $1", user_id, anonymous)
    await conn.execute(
        "UPDATE ledger_entries SET user_id = $2 WHERE user_id = $1", user_id, anonymous
    )
    await conn.execute(
        "DELETE FROM idempotency_keys WHERE scope LIKE '%' || $1 || '%'", str(user_id)
    )
