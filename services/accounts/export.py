"""Everything accounts holds about one person (GDPR Art. 15/20): for the member's download,
asked by the web with its service token (`GET /internal/users/{user_id}/export`), and the
member's own older answer (`GET /v1/me/export`).

Accounts forgets a membership when the member leaves (the other services keep the groups they
hold data in, with the date the membership ended): `memberships` lists the current ones."""

import uuid
from datetime import datetime
from typing import Literal

from services.accounts import throttle
from services.accounts.models import (
    ExportedMembership,
    ExportedProfile,
    ExportedReset,
    ExportedSession,
)
from services.accounts.people import session_ended
from services.accounts.repository import exports
from services.accounts.settings import AccountsSettings
from shared.db import Connection, Database
from shared.personal_export import PersonalDataExport
from shared.problems import not_found
from shared.revocations import EndedMembership, memberships_ended


class AccountsExport(PersonalDataExport):
    service: Literal["accounts"] = "accounts"
    profile: ExportedProfile
    memberships: list[ExportedMembership]
    sessions: list[ExportedSession]
    password_resets: list[ExportedReset]
    # Failed log-ins counted against the account (the throttle keeps them for its window).
    failed_log_ins: list[datetime]
    memberships_ended: list[EndedMembership]


async def _export(
    conn: Connection, settings: AccountsSettings, profile: ExportedProfile
) -> AccountsExport:
    user_id = profile.user_id
    memberships = await exports.memberships_of(conn, user_id)
    ended = await memberships_ended(conn, user_id)
    groups = {m.group_id for m in memberships} | {e.group_id for e in ended}
    return AccountsExport(
        user_id=user_id,
        group_ids=sorted(groups, key=str),
        profile=profile,
        memberships=memberships,
        sessions=await exports.sessions_of(conn, user_id),
        password_resets=await exports.resets_of(conn, user_id),
        failed_log_ins=await exports.failed_log_ins(
            conn, throttle.account_key(settings, profile.email)
        ),
        memberships_ended=ended,
    )


async def export_user(
    db: Database, user_id: uuid.UUID, settings: AccountsSettings
) -> AccountsExport:
    """For the web's download, asked with its service token."""
    async with db.transaction("repeatable_read") as conn:
        profile = await exports.profile_of(conn, user_id)
        if profile is None:
            raise not_found("Personne", "Person")
        return await _export(conn, settings, profile)


async def export_personal_data(
    db: Database, settings: AccountsSettings, user_id: uuid.UUID
) -> dict[str, object]:
    """`GET /v1/me/export`: the caller's own data, in the older shape of that answer."""
    async with db.transaction() as conn:
        profile = await exports.profile_of(conn, user_id)
        if profile is None:  # erased: their session is over
            raise session_ended()
        found = await _export(conn, settings, profile)
    return {
        "service": "accounts",
        "profile": {"id": user_id, **profile.model_dump(exclude={"user_id"})},
        "memberships": [
            {"group_name": m.name, "slug": m.slug, "role": m.role, "joined_at": m.joined_at}
            for m in found.memberships
        ],
        "sessions": [s.model_dump() for s in found.sessions],
        "password_resets": [r.model_dump() for r in found.password_resets],
        "failed_log_ins": [{"failed_at": at} for at in found.failed_log_ins],
    }
