"""The demo data's people (seed.py; its groups and memberships are written as any others):
each insert leaves an existing row as it is."""

import uuid

from shared.db import Connection


async def insert_admin(
    conn: Connection, user_id: uuid.UUID, email: str, key: str, password_hash: str
) -> None:
    await conn.execute(
        "INSERT INTO users (id, email, email_key, password_hash, first_name, last_name,"
        " is_admin) VALUES ($1, $2, $3, $4, 'Admin', 'VRAC', true) ON CONFLICT DO NOTHING",
        user_id,
        email,
        key,
        password_hash,
    )


async def insert_coordinator(
    conn: Connection,
    user_id: uuid.UUID,
    email: str,
    key: str,
    password_hash: str,
    first_name: str,
    last_name: str,
    city: str,
) -> None:
    """A demo coordinator, with the demo phone and address."""
    await conn.execute(
        "INSERT INTO users (id, email, email_key, password_hash, first_name,"
        " last_name, phone, street, postcode, city) VALUES ($1,$2,$3,$4,$5,$6,"
        " '+33600000000', '1 place de la Mairie', '31000', $7) ON CONFLICT DO NOTHING",
        user_id,
        email,
        key,
        password_hash,
        first_name,
        last_name,
        city,
    )
