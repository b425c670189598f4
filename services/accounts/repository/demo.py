"""The demo data's rows (seed.py): each insert leaves an existing row as it is."""

import uuid

from shared.db import Connection
from shared.queries import returned


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


async def insert_group(
    conn: Connection,
    group_id: uuid.UUID,
    slug: str,
    name: str,
    city: str,
    coordinator_name: str,
    coordinator_email: str,
    contact_email: str,
    phone_required: bool,
    address_required: bool,
) -> None:
    await conn.execute(
        "INSERT INTO groups (id, slug, name, city, coordinator_name,"
        " coordinator_email, contact_email, phone_required, address_required)"
        " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT DO NOTHING",
        group_id,
        slug,
        name,
        city,
        coordinator_name,
        coordinator_email,
        contact_email,
        phone_required,
        address_required,
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


async def add_coordinator(conn: Connection, user_id: uuid.UUID, group_id: uuid.UUID) -> bool:
    """False when the membership was there already."""
    return await returned(
        conn,
        "INSERT INTO memberships (user_id, group_id, role)"
        " VALUES ($1, $2, 'coordinator') ON CONFLICT DO NOTHING RETURNING true",
        user_id,
        group_id,
    )
