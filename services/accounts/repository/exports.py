"""What a person's data download reads: their `users` row without its secrets, their
memberships, sessions, reset links and failed log-ins."""

import uuid
from datetime import datetime
from typing import TypeVar

from pydantic import BaseModel

from services.accounts.models import (
    ExportedMembership,
    ExportedProfile,
    ExportedReset,
    ExportedSession,
)
from shared.db import Connection

M = TypeVar("M", bound=BaseModel)


async def _rows_of(conn: Connection, model: type[M], query: str, person: object) -> list[M]:
    """The rows a statement finds about one person (its $1), as the model its columns name."""
    return [model.model_validate(dict(r)) for r in await conn.fetch(query, person)]


async def profile_of(conn: Connection, user_id: uuid.UUID) -> ExportedProfile | None:
    """The person's `users` row without its secrets (password hash, e-mail key)."""
    row = await conn.fetchrow(
        "SELECT id AS user_id, email, first_name, last_name, phone, street, postcode, city,"
        " language, is_admin, created_at, updated_at FROM users WHERE id = $1",
        user_id,
    )
    return ExportedProfile.model_validate(dict(row)) if row is not None else None


async def sessions_of(conn: Connection, user_id: uuid.UUID) -> list[ExportedSession]:
    query = (
        "SELECT created_at, last_seen_at, expires_at, ended_at FROM sessions"
        " WHERE user_id = $1 ORDER BY created_at"
    )
    return await _rows_of(conn, ExportedSession, query, user_id)


async def resets_of(conn: Connection, user_id: uuid.UUID) -> list[ExportedReset]:
    query = (
        "SELECT created_at, expires_at, used_at FROM password_resets WHERE user_id = $1"
        " ORDER BY created_at"
    )
    return await _rows_of(conn, ExportedReset, query, user_id)


async def memberships_of(conn: Connection, user_id: uuid.UUID) -> list[ExportedMembership]:
    query = (
        "SELECT g.id AS group_id, g.slug, g.name, g.city, m.role, m.joined_at"
        " FROM memberships m JOIN groups g ON g.id = m.group_id"
        " WHERE m.user_id = $1 ORDER BY m.joined_at"
    )
    return await _rows_of(conn, ExportedMembership, query, user_id)


async def failed_log_ins(conn: Connection, throttle_key: str) -> list[datetime]:
    """The failures counted against one throttle key (the account's: throttle.account_key)."""
    rows = await conn.fetch(
        "SELECT failed_at FROM login_failures WHERE throttle_key = $1 ORDER BY failed_at",
        throttle_key,
    )
    return [r["failed_at"] for r in rows]
