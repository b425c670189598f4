"""Sessions and password-reset links: the `sessions` and `password_resets` tables.
Only hashes of the secrets are looked up (security.digest)."""

import uuid
from datetime import timedelta

from services.accounts.models import ResetDelivery
from shared.db import Connection
from shared.queries import counted, returned


async def open_session(
    conn: Connection, id_hash: bytes, user_id: uuid.UUID, lifetime: timedelta
) -> None:
    await conn.execute(
        "INSERT INTO sessions (id_hash, user_id, expires_at) VALUES ($1, $2, now() + $3::interval)",
        id_hash,
        user_id,
        lifetime,
    )


async def _user_of(conn: Connection, statement: str, key: bytes) -> uuid.UUID | None:
    """A statement ending `RETURNING user_id`: the user of the row it changed, if any."""
    user_id: uuid.UUID | None = await conn.fetchval(statement, key)
    return user_id


async def touch_session(conn: Connection, id_hash: bytes) -> uuid.UUID | None:
    """The user of a live session (its last use noted); None when ended or expired."""
    return await _user_of(
        conn,
        "UPDATE sessions SET last_seen_at = now() WHERE id_hash = $1 AND ended_at IS NULL"
        " AND expires_at > now() RETURNING user_id",
        id_hash,
    )


async def end_session(conn: Connection, id_hash: bytes) -> bool:
    """False when no live session goes by this hash."""
    return await returned(
        conn,
        "UPDATE sessions SET ended_at = now() WHERE id_hash = $1 AND ended_at IS NULL"
        " RETURNING true",
        id_hash,
    )


async def end_sessions_of(conn: Connection, user_id: uuid.UUID) -> None:
    await conn.execute(
        "UPDATE sessions SET ended_at = now() WHERE user_id = $1 AND ended_at IS NULL", user_id
    )


async def resets_in_last_hour(conn: Connection, user_id: uuid.UUID) -> int:
    return await counted(
        conn,
        "SELECT count(*) FROM password_resets"
        " WHERE user_id = $1 AND created_at > now() - interval '1 hour'",
        user_id,
    )


async def insert_reset(
    conn: Connection,
    reset_id: uuid.UUID,
    user_id: uuid.UUID,
    token_hash: bytes,
    token: str,
    validity: timedelta,
) -> None:
    await conn.execute(
        "INSERT INTO password_resets (id, user_id, token_hash, token_for_delivery, expires_at)"
        " VALUES ($1, $2, $3, $4, now() + $5::interval)",
        reset_id,
        user_id,
        token_hash,
        token,
        validity,
    )


async def use_reset(conn: Connection, token_hash: bytes) -> uuid.UUID | None:
    """Marks a usable reset used; its user, or None when no usable reset has this hash."""
    return await _user_of(
        conn,
        "UPDATE password_resets SET used_at = now(), token_for_delivery = NULL"
        " WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING user_id",
        token_hash,
    )


async def take_reset_for_delivery(conn: Connection, reset_id: uuid.UUID) -> ResetDelivery | None:
    """The token of a live reset, forgotten as it is handed out; None for an unknown id as well
    as a handed-out or expired one."""
    row = await conn.fetchrow(
        "SELECT r.id AS reset_id, r.user_id, r.token_for_delivery AS token, u.language,"
        " r.expires_at FROM password_resets r JOIN users u ON u.id = r.user_id"
        " WHERE r.id = $1 AND r.token_for_delivery IS NOT NULL AND r.used_at IS NULL"
        " AND r.expires_at > now() FOR UPDATE OF r",
        reset_id,
    )
    if row is None:
        return None
    await conn.execute(
        "UPDATE password_resets SET token_for_delivery = NULL WHERE id = $1", reset_id
    )
    return ResetDelivery.model_validate(dict(row))
