"""Everything accounts holds about one person, for the member's download (GDPR Art. 15/20),
asked by the web with its service token (`GET /internal/users/{user_id}/export`).

Accounts forgets a membership when the member leaves (the other services keep the groups they
hold data in, with the date the membership ended): `memberships` lists the current ones."""

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

from services.accounts import throttle
from services.accounts.settings import AccountsSettings
from shared.db import Database
from shared.problems import not_found


class ExportedProfile(BaseModel):
    user_id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    phone: str | None
    street: str | None
    postcode: str | None
    city: str | None
    language: str
    is_admin: bool
    created_at: datetime
    updated_at: datetime


class ExportedMembership(BaseModel):
    group_id: uuid.UUID
    slug: str
    name: str
    city: str
    role: str
    joined_at: datetime


class ExportedSession(BaseModel):
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    ended_at: datetime | None


class ExportedReset(BaseModel):
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None


class EndedMembership(BaseModel):
    group_id: uuid.UUID
    ended_at: datetime


class AccountsExport(BaseModel):
    service: Literal["accounts"] = "accounts"
    user_id: uuid.UUID
    group_ids: list[uuid.UUID]
    profile: ExportedProfile
    memberships: list[ExportedMembership]
    sessions: list[ExportedSession]
    password_resets: list[ExportedReset]
    # Failed log-ins counted against the account (the throttle keeps them for its window).
    failed_log_ins: list[datetime]
    memberships_ended: list[EndedMembership]


async def export_queries(
    conn: Any, settings: AccountsSettings, user_id: uuid.UUID
) -> AccountsExport:
    user = await conn.fetchrow(
        "SELECT id AS user_id, email, first_name, last_name, phone, street, postcode, city,"
        " language, is_admin, created_at, updated_at FROM users WHERE id = $1",
        user_id,
    )
    if user is None:
        raise not_found("Personne", "Person")
    memberships = await conn.fetch(
        "SELECT g.id AS group_id, g.slug, g.name, g.city, m.role, m.joined_at"
        " FROM memberships m JOIN groups g ON g.id = m.group_id"
        " WHERE m.user_id = $1 ORDER BY m.joined_at",
        user_id,
    )
    sessions = await conn.fetch(
        "SELECT created_at, last_seen_at, expires_at, ended_at FROM sessions"
        " WHERE user_id = $1 ORDER BY created_at",
        user_id,
    )
    resets = await conn.fetch(
        "SELECT created_at, expires_at, used_at FROM password_resets WHERE user_id = $1"
        " ORDER BY created_at",
        user_id,
    )
    failures = await conn.fetch(
        "SELECT failed_at FROM login_failures WHERE throttle_key = $1 ORDER BY failed_at",
        throttle.account_key(settings, user["email"]),
    )
    ended = await conn.fetch(
        "SELECT group_id, ended_at FROM membership_revocations WHERE user_id = $1"
        " ORDER BY ended_at",
        user_id,
    )
    groups = {r["group_id"] for rows in (memberships, ended) for r in rows}
    return AccountsExport(
        user_id=user_id,
        group_ids=sorted(groups, key=str),
        profile=ExportedProfile(**dict(user)),
        memberships=[ExportedMembership(**dict(r)) for r in memberships],
        sessions=[ExportedSession(**dict(r)) for r in sessions],
        password_resets=[ExportedReset(**dict(r)) for r in resets],
        failed_log_ins=[r["failed_at"] for r in failures],
        memberships_ended=[EndedMembership(**dict(r)) for r in ended],
    )


async def export_user(
    db: Database, settings: AccountsSettings, user_id: uuid.UUID
) -> AccountsExport:
    async with db.transaction("repeatable_read") as conn:
        return await export_queries(conn, settings, user_id)
