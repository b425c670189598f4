"""Everything accounts holds about one person (GDPR Art. 15/20): for the member's download,
asked by the web with its service token (`GET /internal/users/{user_id}/export`), and the
member's own older answer (`GET /v1/me/export`).

Accounts forgets a membership when the member leaves (the other services keep the groups they
hold data in, with the date the membership ended): `memberships` lists the current ones."""

import uuid
from dataclasses import asdict
from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from services.accounts import throttle
from services.accounts.people import load_user
from services.accounts.repository import exports, users
from services.accounts.settings import AccountsSettings
from shared.db import Connection, Database
from shared.problems import not_found
from shared.revocations import EndedMembership, memberships_ended


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
    conn: Connection, settings: AccountsSettings, user_id: uuid.UUID
) -> AccountsExport:
    user = await users.user_by_id(conn, user_id)
    if user is None:
        raise not_found("Personne", "Person")
    memberships = await exports.memberships_of(conn, user_id)
    ended = await memberships_ended(conn, user_id)
    groups = {m.group_id for m in memberships} | {e.group_id for e in ended}
    return AccountsExport(
        user_id=user_id,
        group_ids=sorted(groups, key=str),
        profile=ExportedProfile(
            user_id=user.id,
            email=user.email,
            first_name=user.first_name,
            last_name=user.last_name,
            phone=user.phone,
            street=user.street,
            postcode=user.postcode,
            city=user.city,
            language=user.language,
            is_admin=user.is_admin,
            created_at=user.created_at,
            updated_at=user.updated_at,
        ),
        memberships=[ExportedMembership.model_validate(asdict(m)) for m in memberships],
        sessions=[
            ExportedSession.model_validate(asdict(s))
            for s in await exports.sessions_of(conn, user_id)
        ],
        password_resets=[
            ExportedReset.model_validate(asdict(r)) for r in await exports.resets_of(conn, user_id)
        ],
        failed_log_ins=await exports.failed_log_ins(
            conn, throttle.account_key(settings, user.email)
        ),
        memberships_ended=ended,
    )


async def export_user(
    db: Database, settings: AccountsSettings, user_id: uuid.UUID
) -> AccountsExport:
    """For the web's download, asked with its service token."""
    async with db.transaction("repeatable_read") as conn:
        return await export_queries(conn, settings, user_id)


async def export_personal_data(
    db: Database, settings: AccountsSettings, user_id: uuid.UUID
) -> dict[str, object]:
    """`GET /v1/me/export`: the caller's own data, in the older shape of that answer."""
    async with db.transaction() as conn:
        user = await load_user(conn, user_id)
        sessions = await exports.sessions_of(conn, user_id)
        resets = await exports.resets_of(conn, user_id)
        memberships = await exports.memberships_of(conn, user_id)
        failures = await exports.failed_log_ins(conn, throttle.account_key(settings, user.email))
    hidden = ("password_hash", "email_key")
    return {
        "service": "accounts",
        "profile": {k: v for k, v in asdict(user).items() if k not in hidden},
        "memberships": [
            {"group_name": m.name, "slug": m.slug, "role": m.role, "joined_at": m.joined_at}
            for m in memberships
        ],
        "sessions": [asdict(s) for s in sessions],
        "password_resets": [asdict(r) for r in resets],
        "failed_log_ins": [{"failed_at": at} for at in failures],
    }
