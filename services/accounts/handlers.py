"""Use cases of the accounts service."""

import uuid
from datetime import timedelta
from typing import Any

import asyncpg

from services.accounts import repository as repo
from services.accounts import throttle
from services.accounts.domain import email_key
from services.accounts.models import (
    Contact,
    Group,
    GroupCreate,
    GroupUpdate,
    Me,
    Membership,
    ProfileUpdate,
    ResetConfirm,
    SignUp,
)
from services.accounts.security import digest, hash_password, new_secret, verify_password
from services.accounts.settings import AccountsSettings
from shared.auth import Principal
from shared.contracts.accounts import (
    MemberJoinedV1,
    MemberLeftV1,
    MemberUpdatedV1,
    PasswordResetRequestedV1,
    UserErasedV1,
)
from shared.db import Database
from shared.logging import get_logger
from shared.outbox import add_event
from shared.problems import Problem, forbidden, not_found
from shared.retention import forget_user

log = get_logger(__name__)

SOURCE = "/accounts"


def invalid_credentials() -> Problem:
    return Problem(
        401, "invalid-credentials", "Email ou mot de passe incorrect.", "Wrong email or password."
    )


def session_ended() -> Problem:
    return Problem(
        401,
        "session-ended",
        "Votre session est terminée, reconnectez-vous.",
        "Your session has ended, please log in again.",
    )


async def sign_up(db: Database, body: SignUp) -> None:
    """Creates the account if the email is new; answers the same either way."""
    password_hash = await hash_password(body.password)
    async with db.transaction() as conn:
        group = await require_group(conn, body.group_id) if body.group_id else None
        user_id = await conn.fetchval(
            "INSERT INTO users (id, email, email_key, password_hash, first_name, last_name,"
            " phone, street, postcode, city, language) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)"
            " ON CONFLICT (email_key) DO NOTHING RETURNING id",
            uuid.uuid4(),
            body.email,
            email_key(body.email),
            password_hash,
            body.first_name,
            body.last_name,
            body.phone,
            body.street,
            body.postcode,
            body.city,
            body.language,
        )
        if user_id is not None and group is not None:
            await add_membership(conn, user_id, group)


async def add_membership(conn: Any, user_id: uuid.UUID, group: Group) -> str | None:
    """Adds the membership and its `member.joined` event; None when already a member."""
    user = await load_user(conn, user_id)
    role: str | None = await conn.fetchval(
        "INSERT INTO memberships (user_id, group_id) VALUES ($1, $2)"
        " ON CONFLICT DO NOTHING RETURNING role",
        user_id,
        group.id,
    )
    if role is not None:
        await add_event(
            conn,
            "accounts.member.joined.v1",
            SOURCE,
            MemberJoinedV1(
                user_id=user_id,
                group_id=group.id,
                group_slug=group.slug,
                role="member",
                first_name=user["first_name"],
                postcode=user["postcode"],
                language=user["language"],
            ),
            subject=str(user_id),
            group_id=group.id,
        )
    return role


async def log_in(
    db: Database, settings: AccountsSettings, email: str, password: str, client_address: str
) -> tuple[str, uuid.UUID]:
    # One key per account whatever the spelling, the same form the look-up uses (email_key).
    account_key = throttle.account_key(settings, email)
    address_key = throttle.address_key(settings, client_address)
    async with db.transaction() as conn:
        await throttle.check_throttle(
            conn,
            [
                (account_key, settings.login_max_failures_per_account),
                (address_key, settings.login_max_failures_per_ip),
            ],
            throttle.window(settings),
        )
        user = await repo.user_by_email(conn, email)
    ok = await verify_password(user["password_hash"] if user else None, password)
    if not ok or user is None:
        async with db.transaction() as conn:
            await throttle.record_failure(conn, [account_key, address_key])
        raise invalid_credentials()  # after the commit: the failure must be counted
    async with db.transaction() as conn:
        await conn.execute("DELETE FROM login_failures WHERE throttle_key = $1", account_key)
        session_id = new_secret()
        await conn.execute(
            "INSERT INTO sessions (id_hash, user_id, expires_at)"
            " VALUES ($1, $2, now() + $3::interval)",
            digest(session_id),
            user["id"],
            timedelta(days=settings.session_days),
        )
    return session_id, user["id"]


async def user_of_session(conn: Any, session_id: str) -> Any:
    user_id = await conn.fetchval(
        "UPDATE sessions SET last_seen_at = now() WHERE id_hash = $1 AND ended_at IS NULL"
        " AND expires_at > now() RETURNING user_id",
        digest(session_id),
    )
    if user_id is None:
        raise session_ended()
    return await repo.user_by_id(conn, user_id)


async def end_session(db: Database, session_id: str) -> None:
    async with db.transaction() as conn:
        ended = await conn.fetchval(
            "UPDATE sessions SET ended_at = now() WHERE id_hash = $1 AND ended_at IS NULL"
            " RETURNING true",
            digest(session_id),
        )
    if not ended:
        raise session_ended()


async def request_reset(db: Database, settings: AccountsSettings, email: str) -> None:
    """A reset link by mail, at most reset_max_mails_per_hour an hour per account; the caller
    answers the same whatever happened (no enumeration, no mail flooding)."""
    token = new_secret()
    async with db.transaction() as conn:
        # The row lock serialises concurrent requests for one account, so the count holds.
        user = await repo.user_by_email(conn, email, for_update=True)
        if user is None:
            return
        sent = await conn.fetchval(
            "SELECT count(*) FROM password_resets"
            " WHERE user_id = $1 AND created_at > now() - interval '1 hour'",
            user["id"],
        )
        if sent >= settings.reset_max_mails_per_hour:
            log.info("password_reset_throttled", user_id=str(user["id"]))
            return
        reset_id = uuid.uuid4()
        await conn.execute(
            "INSERT INTO password_resets (id, user_id, token_hash, token_for_delivery, expires_at)"
            " VALUES ($1, $2, $3, $4, now() + $5::interval)",
            reset_id,
            user["id"],
            digest(token),
            token,
            timedelta(minutes=settings.reset_token_minutes),
        )
        await add_event(
            conn,
            "accounts.password_reset.requested.v1",
            SOURCE,
            PasswordResetRequestedV1(
                reset_id=reset_id, user_id=user["id"], language=user["language"]
            ),
            subject=str(user["id"]),
        )


async def confirm_reset(db: Database, settings: AccountsSettings, body: ResetConfirm) -> None:
    password_hash = await hash_password(body.new_password)
    async with db.transaction() as conn:
        user_id = await conn.fetchval(
            "UPDATE password_resets SET used_at = now(), token_for_delivery = NULL"
            " WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING user_id",
            digest(body.token),
        )
        if user_id is None:
            # 404: no usable reset goes by this token (what the web and schemathesis expect).
            raise Problem(
                404,
                "invalid-reset-token",
                "Ce lien de réinitialisation n'est plus valable. Demandez-en un nouveau.",
                "This reset link is no longer valid. Ask for a new one.",
            )
        await conn.execute(
            "UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1",
            user_id,
            password_hash,
        )
        await conn.execute(
            "UPDATE sessions SET ended_at = now() WHERE user_id = $1 AND ended_at IS NULL", user_id
        )
        # The owner proved they hold the mailbox: their way back in after a lock-out.
        user = await load_user(conn, user_id)
        await throttle.clear_account(conn, settings, user["email"])


async def me(conn: Any, user: Any) -> Me:
    return Me(
        **repo.person_fields(user),
        id=user["id"],
        admin=user["is_admin"],
        memberships=await repo.memberships_of(conn, user),
    )


async def load_user(conn: Any, user_id: uuid.UUID, for_update: bool = False) -> Any:
    user = await repo.user_by_id(conn, user_id, for_update)
    if user is None:
        raise session_ended()
    return user


async def update_profile(db: Database, user_id: uuid.UUID, body: ProfileUpdate) -> Me:
    changes = body.model_dump(exclude_unset=True)
    async with db.transaction() as conn:
        user = await load_user(conn, user_id, for_update=True)
        if changes.get("email") is not None:
            changes["email_key"] = email_key(changes["email"])
        columns = list(changes)
        assignments = ", ".join(f"{c} = ${i + 2}" for i, c in enumerate(columns))
        try:
            await conn.execute(
                f"UPDATE users SET {assignments}, updated_at = now() WHERE id = $1",
                user_id,
                *[changes[c] for c in columns],
            )
        except asyncpg.UniqueViolationError:
            raise Problem(
                409,
                "email-taken",
                "Cette adresse email est déjà utilisée.",
                "This email address is already in use.",
            ) from None
        user = await load_user(conn, user_id)
        group_ids = [uuid.UUID(g) for g in await repo.roles_of(conn, user_id)]
        await add_event(
            conn,
            "accounts.member.updated.v1",
            SOURCE,
            MemberUpdatedV1(
                user_id=user_id,
                group_ids=group_ids,
                changed_fields=sorted(c for c in columns if c != "email_key"),
                first_name=user["first_name"],
                postcode=user["postcode"],
                language=user["language"],
            ),
            subject=str(user_id),
        )
        return await me(conn, user)


async def require_role(
    conn: Any, caller: Principal, group_id: uuid.UUID, coordinator: bool = False
) -> None:
    """The membership as it is now, not as the token says: whoever left is refused at once."""
    if caller.service is not None or caller.admin:
        return
    role = await conn.fetchval(
        "SELECT role FROM memberships WHERE user_id = $1 AND group_id = $2",
        caller.user_id,
        group_id,
    )
    if role is None:
        raise forbidden()
    if coordinator and role != "coordinator":
        raise Problem(
            403,
            "coordinator-only",
            "Réservé aux coordinateurs du groupe.",
            "Only the group's coordinators may do this.",
        )


async def require_group(conn: Any, group_id: uuid.UUID) -> Group:
    group = await repo.group_by_id(conn, group_id)
    if group is None:
        raise not_found("Groupe", "Group")
    return group


async def join_group(
    db: Database, user_id: uuid.UUID, group_id: uuid.UUID
) -> tuple[Membership, bool]:
    async with db.transaction() as conn:
        group = await require_group(conn, group_id)
        user = await load_user(conn, user_id)
        role = await add_membership(conn, user_id, group)
        created = role is not None
        if role is None:
            role = await conn.fetchval(
                "SELECT role FROM memberships WHERE user_id = $1 AND group_id = $2",
                user_id,
                group_id,
            )
        return Membership(group=group, role=role, missing=repo.user_missing(user, group)), created


async def leave_group(db: Database, user_id: uuid.UUID, group_id: uuid.UUID) -> None:
    async with db.transaction() as conn:
        left = await conn.fetchval(
            "DELETE FROM memberships WHERE user_id = $1 AND group_id = $2 RETURNING true",
            user_id,
            group_id,
        )
        if not left:
            raise not_found("Adhésion", "Membership")
        await add_event(
            conn,
            "accounts.member.left.v1",
            SOURCE,
            MemberLeftV1(user_id=user_id, group_id=group_id),
            subject=str(user_id),
            group_id=group_id,
        )


async def export_personal_data(
    db: Database, settings: AccountsSettings, user_id: uuid.UUID
) -> dict[str, Any]:
    async with db.transaction() as conn:
        user = await load_user(conn, user_id)
        hidden = ("password_hash", "email_key")
        profile = {k: user[k] for k in user.keys() if k not in hidden}  # noqa: SIM118
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
        memberships = await conn.fetch(
            "SELECT g.name AS group_name, g.slug, m.role, m.joined_at FROM memberships m"
            " JOIN groups g ON g.id = m.group_id WHERE m.user_id = $1",
            user_id,
        )
        failures = await conn.fetch(
            "SELECT failed_at FROM login_failures WHERE throttle_key = $1",
            throttle.account_key(settings, user["email"]),
        )
    return {
        "service": "accounts",
        "profile": profile,
        "memberships": [dict(r) for r in memberships],
        "sessions": [dict(r) for r in sessions],
        "password_resets": [dict(r) for r in resets],
        "failed_log_ins": [dict(r) for r in failures],
    }


async def erase(
    db: Database, settings: AccountsSettings, user_id: uuid.UUID, password: str
) -> None:
    async with db.transaction() as conn:
        user = await load_user(conn, user_id)
    if not await verify_password(user["password_hash"], password):
        raise Problem(403, "wrong-password", "Mot de passe incorrect.", "Wrong password.")
    async with db.transaction() as conn:
        group_ids = [uuid.UUID(g) for g in await repo.roles_of(conn, user_id)]
        await throttle.clear_account(conn, settings, user["email"])
        deleted = await conn.fetchval("DELETE FROM users WHERE id = $1 RETURNING true", user_id)
        if not deleted:
            raise session_ended()
        await add_event(
            conn,
            "accounts.user.erased.v1",
            SOURCE,
            UserErasedV1(user_id=user_id, group_ids=group_ids),
            subject=str(user_id),
        )
        # The past events about the person go now; this erasure event (and any other not yet
        # published) is published first, then deleted by the relay.
        await forget_user(conn, user_id)


async def create_group(db: Database, body: GroupCreate) -> Group:
    async with db.transaction() as conn:
        try:
            await conn.execute(
                "INSERT INTO groups (id, slug, name, city, coordinator_name, coordinator_email,"
                " contact_email, phone_required, address_required)"
                " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)",
                uuid.uuid4(),
                body.slug,
                body.name,
                body.city,
                body.coordinator_name,
                body.coordinator_email or "",
                body.contact_email or "",
                body.phone_required,
                body.address_required,
            )
        except asyncpg.UniqueViolationError:
            raise Problem(
                409,
                "slug-taken",
                "Ce lien de groupe existe déjà.",
                "This group link already exists.",
            ) from None
        group = await repo.group_by_slug(conn, body.slug)
        assert group is not None
        return group


async def update_group(db: Database, group_id: uuid.UUID, body: GroupUpdate) -> Group:
    """Changes the given fields, all or none; the slug (the join link) never changes."""
    changes = body.model_dump(exclude_unset=True)
    for cleared in ("coordinator_name", "coordinator_email", "contact_email"):
        if cleared in changes and changes[cleared] is None:
            changes[cleared] = ""
    columns = sorted(changes)
    assignments = ", ".join(f"{c} = ${i + 2}" for i, c in enumerate(columns))
    async with db.transaction() as conn:
        updated = await conn.fetchval(
            f"UPDATE groups SET {assignments} WHERE id = $1 RETURNING true",
            group_id,
            *[changes[c] for c in columns],
        )
        if not updated:
            raise not_found("Groupe", "Group")
        return await require_group(conn, group_id)


async def name_coordinator(db: Database, group_id: uuid.UUID, user_id: uuid.UUID) -> None:
    async with db.transaction() as conn:
        await require_group(conn, group_id)
        updated = await conn.fetchval(
            "UPDATE memberships SET role = 'coordinator' WHERE group_id = $1 AND user_id = $2"
            " RETURNING true",
            group_id,
            user_id,
        )
        if not updated:
            raise not_found("Membre du groupe", "Group member")


async def contact(conn: Any, user_id: uuid.UUID) -> Contact:
    user = await repo.user_by_id(conn, user_id)
    if user is None:
        raise not_found("Personne", "Person")
    return Contact(**repo.person_fields(user), user_id=user["id"])


async def hand_out_reset_token(db: Database, reset_id: uuid.UUID) -> Any:
    async with db.transaction() as conn:
        row = await conn.fetchrow(
            "SELECT r.id AS reset_id, r.user_id, r.token_for_delivery AS token, u.language,"
            " r.expires_at FROM password_resets r JOIN users u ON u.id = r.user_id"
            " WHERE r.id = $1 AND r.token_for_delivery IS NOT NULL AND r.used_at IS NULL"
            " AND r.expires_at > now() FOR UPDATE OF r",
            reset_id,
        )
        if row is not None:
            await conn.execute(
                "UPDATE password_resets SET token_for_delivery = NULL WHERE id = $1", reset_id
            )
    if row is None:
        # 404 for an unknown id as well as a handed-out or expired one: the query can't tell.
        raise Problem(
            404,
            "reset-token-gone",
            "Ce lien a déjà été remis ou a expiré.",
            "This link was already handed out or has expired.",
        )
    return row
