"""What a person's data download reads besides their `users` row (repository.users)."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from shared.db import Connection


@dataclass(frozen=True)
class SessionRecord:
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True)
class ResetRecord:
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None


@dataclass(frozen=True)
class MembershipRecord:
    group_id: uuid.UUID
    slug: str
    name: str
    city: str
    role: str
    joined_at: datetime


async def sessions_of(conn: Connection, user_id: uuid.UUID) -> list[SessionRecord]:
    rows = await conn.fetch(
        "SELECT created_at, last_seen_at, expires_at, ended_at FROM sessions"
        " WHERE user_id = $1 ORDER BY created_at",
        user_id,
    )
    return [SessionRecord(**dict(r)) for r in rows]


async def resets_of(conn: Connection, user_id: uuid.UUID) -> list[ResetRecord]:
    rows = await conn.fetch(
        "SELECT created_at, expires_at, used_at FROM password_resets WHERE user_id = $1"
        " ORDER BY created_at",
        user_id,
    )
    return [ResetRecord(**dict(r)) for r in rows]


async def memberships_of(conn: Connection, user_id: uuid.UUID) -> list[MembershipRecord]:
    rows = await conn.fetch(
        "SELECT g.id AS group_id, g.slug, g.name, g.city, m.role, m.joined_at"
        " FROM memberships m JOIN groups g ON g.id = m.group_id"
        " WHERE m.user_id = $1 ORDER BY m.joined_at",
        user_id,
    )
    return [MembershipRecord(**dict(r)) for r in rows]


async def failed_log_ins(conn: Connection, throttle_key: str) -> list[datetime]:
    """The failures counted against one throttle key (the account's: throttle.account_key)."""
    rows = await conn.fetch(
        "SELECT failed_at FROM login_failures WHERE throttle_key = $1 ORDER BY failed_at",
        throttle_key,
    )
    return [r["failed_at"] for r in rows]
