"""People: the `users` table."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from services.accounts.domain import Language
from services.accounts.models import ProfileUpdate
from shared.db import Connection, Record
from shared.queries import returned


@dataclass(frozen=True)
class NewUser:
    """What signing up writes."""

    id: uuid.UUID
    email: str
    email_key: str
    password_hash: str
    first_name: str
    last_name: str
    phone: str | None
    street: str | None
    postcode: str | None
    city: str | None
    language: Language


@dataclass(frozen=True)
class User(NewUser):
    """A row of `users`, every column: what signing up wrote and what the table adds."""

    is_admin: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class EmailKey:
    id: uuid.UUID
    email: str
    email_key: str


def _user(row: Record | None) -> User | None:
    return User(**dict(row)) if row is not None else None


async def user_by_id(conn: Connection, user_id: uuid.UUID) -> User | None:
    return _user(
        await conn.fetchrow(
            "SELECT id, email, email_key, password_hash, first_name, last_name, phone, street,"
            " postcode, city, language, is_admin, created_at, updated_at FROM users WHERE id = $1",
            user_id,
        )
    )


async def user_by_email_key(conn: Connection, key: str) -> User | None:
    """By the one comparison form of the address, the throttle's too (domain.email_key)."""
    user_id: uuid.UUID | None = await conn.fetchval(
        "SELECT id FROM users WHERE email_key = $1", key
    )
    return None if user_id is None else await user_by_id(conn, user_id)


async def lock_user(conn: Connection, user_id: uuid.UUID) -> bool:
    """Locks the person's row until the transaction ends, so that their concurrent changes
    (profile, reset links) take turns; False when there is no such person (erased)."""
    return await returned(conn, "SELECT true FROM users WHERE id = $1 FOR UPDATE", user_id)


async def insert_user(conn: Connection, user: NewUser) -> bool:
    """False when the e-mail key is taken (nothing written)."""
    created: uuid.UUID | None = await conn.fetchval(
        "INSERT INTO users (id, email, email_key, password_hash, first_name, last_name,"
        " phone, street, postcode, city, language) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)"
        " ON CONFLICT (email_key) DO NOTHING RETURNING id",
        user.id,
        user.email,
        user.email_key,
        user.password_hash,
        user.first_name,
        user.last_name,
        user.phone,
        user.street,
        user.postcode,
        user.city,
        user.language,
    )
    return created is not None


async def update_profile(
    conn: Connection, user_id: uuid.UUID, changes: ProfileUpdate, new_email_key: str | None
) -> None:
    """One fixed statement: a column not named in `changes.model_fields_set` keeps its value (a
    None among them is written as NULL); `new_email_key` goes with a new email.
    Raises asyncpg.UniqueViolationError when the new e-mail key is taken."""
    await conn.execute(
        "UPDATE users SET"
        " first_name = CASE WHEN 'first_name' = ANY($2::text[]) THEN $3::text ELSE first_name END,"
        " last_name = CASE WHEN 'last_name' = ANY($2::text[]) THEN $4::text ELSE last_name END,"
        " email = CASE WHEN 'email' = ANY($2::text[]) THEN $5::text ELSE email END,"
        " email_key = CASE WHEN 'email' = ANY($2::text[]) THEN $6::text ELSE email_key END,"
        " phone = CASE WHEN 'phone' = ANY($2::text[]) THEN $7::text ELSE phone END,"
        " street = CASE WHEN 'street' = ANY($2::text[]) THEN $8::text ELSE street END,"
        " postcode = CASE WHEN 'postcode' = ANY($2::text[]) THEN $9::text ELSE postcode END,"
        " city = CASE WHEN 'city' = ANY($2::text[]) THEN $10::text ELSE city END,"
        " language = CASE WHEN 'language' = ANY($2::text[]) THEN $11::text ELSE language END,"
        " updated_at = now() WHERE id = $1",
        user_id,
        sorted(changes.model_fields_set),
        changes.first_name,
        changes.last_name,
        changes.email,
        new_email_key,
        changes.phone,
        changes.street,
        changes.postcode,
        changes.city,
        changes.language,
    )


async def set_password(conn: Connection, user_id: uuid.UUID, password_hash: str) -> None:
    await conn.execute(
        "UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1",
        user_id,
        password_hash,
    )


async def delete_user(conn: Connection, user_id: uuid.UUID) -> bool:
    """The person and, by cascade, their memberships, sessions and reset links."""
    return await returned(conn, "DELETE FROM users WHERE id = $1 RETURNING true", user_id)


async def non_ascii_emails(conn: Connection) -> list[EmailKey]:
    rows = await conn.fetch("SELECT id, email, email_key FROM users WHERE email ~ '[^\\x01-\\x7e]'")
    return [EmailKey(**dict(r)) for r in rows]


async def set_email_key(conn: Connection, user_id: uuid.UUID, key: str) -> None:
    """Raises asyncpg.UniqueViolationError when another account holds the key."""
    await conn.execute("UPDATE users SET email_key = $2 WHERE id = $1", user_id, key)
