"""Password reset: the link asked for by mail, handed out once to notifications, then used."""

import uuid
from datetime import timedelta

from services.accounts import throttle
from services.accounts.domain import email_key
from services.accounts.events import publish
from services.accounts.models import ResetConfirm, ResetDelivery
from services.accounts.people import load_user
from services.accounts.repository import sessions, users
from services.accounts.security import digest, hash_password, new_secret
from services.accounts.settings import AccountsSettings
from shared.contracts.accounts import PasswordResetRequestedV1
from shared.db import Database
from shared.logging import get_logger
from shared.problems import Problem

log = get_logger(__name__)


async def request_reset(db: Database, settings: AccountsSettings, email: str) -> None:
    """A reset link by mail, at most reset_max_mails_per_hour an hour per account; the caller
    answers the same whatever happened (no enumeration, no mail flooding)."""
    token = new_secret()
    async with db.transaction() as conn:
        user = await users.user_by_email_key(conn, email_key(email))
        # The row lock serialises concurrent requests for one account, so the count holds.
        if user is None or not await users.lock_user(conn, user.id):
            return
        if await sessions.resets_in_last_hour(conn, user.id) >= settings.reset_max_mails_per_hour:
            log.info("password_reset_throttled", user_id=str(user.id))
            return
        reset_id = uuid.uuid4()
        await sessions.insert_reset(
            conn,
            reset_id,
            user.id,
            digest(token),
            token,
            timedelta(minutes=settings.reset_token_minutes),
        )
        await publish(
            conn,
            PasswordResetRequestedV1(reset_id=reset_id, user_id=user.id, language=user.language),
        )


async def confirm_reset(db: Database, settings: AccountsSettings, body: ResetConfirm) -> None:
    password_hash = await hash_password(body.new_password)
    async with db.transaction() as conn:
        user_id = await sessions.use_reset(conn, digest(body.token))
        if user_id is None:
            # 404: no usable reset goes by this token (what the web and schemathesis expect).
            raise Problem(
                404,
                "invalid-reset-token",
                "Ce lien de réinitialisation n'est plus valable. Demandez-en un nouveau.",
                "This reset link is no longer valid. Ask for a new one.",
            )
        await users.set_password(conn, user_id, password_hash)
        await sessions.end_sessions_of(conn, user_id)
        # The owner proved they hold the mailbox: their way back in after a lock-out.
        user = await load_user(conn, user_id)
        await throttle.clear_account(conn, settings, user.email)


async def hand_out_reset_token(db: Database, reset_id: uuid.UUID) -> ResetDelivery:
    """The token, once, to the notifications service that mails it."""
    async with db.transaction() as conn:
        reset = await sessions.take_reset_for_delivery(conn, reset_id)
    if reset is None:
        # 404 for an unknown id as well as a handed-out or expired one: the query can't tell.
        raise Problem(
            404,
            "reset-token-gone",
            "Ce lien a déjà été remis ou a expiré.",
            "This link was already handed out or has expired.",
        )
    return reset
