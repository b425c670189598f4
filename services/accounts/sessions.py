"""Log-in (throttled), sessions, and the tokens exchanged for them."""

import hmac
import uuid
from datetime import timedelta

from services.accounts import throttle
from services.accounts.domain import email_key
from services.accounts.models import AccessToken, ServiceTokenRequest
from services.accounts.people import session_ended
from services.accounts.repository import groups, users
from services.accounts.repository import sessions as repo
from services.accounts.security import digest, new_secret, verify_password
from services.accounts.settings import AccountsSettings
from shared.auth import ACCESS_TOKEN_SECONDS, SERVICE_TOKEN_SECONDS, TokenIssuer
from shared.db import Database
from shared.problems import Problem


def invalid_credentials() -> Problem:
    return Problem(
        401, "invalid-credentials", "Email ou mot de passe incorrect.", "Wrong email or password."
    )


async def log_in(
    db: Database, settings: AccountsSettings, email: str, password: str, client_address: str
) -> tuple[str, uuid.UUID]:
    """A new session's id and its user. An unknown e-mail costs a password check too (the
    answer takes the same time) and counts as a failure like a wrong password."""
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
        user = await users.user_by_email_key(conn, email_key(email))
    ok = await verify_password(user.password_hash if user else None, password)
    if not ok or user is None:
        async with db.transaction() as conn:
            await throttle.record_failure(conn, [account_key, address_key])
        raise invalid_credentials()  # after the commit: the failure must be counted
    async with db.transaction() as conn:
        await throttle.forget(conn, account_key)
        session_id = new_secret()
        await repo.open_session(
            conn, digest(session_id), user.id, timedelta(days=settings.session_days)
        )
    return session_id, user.id


async def session_token(db: Database, issuer: TokenIssuer, session_id: str) -> AccessToken:
    """A short-lived access token for a live session, with the memberships as they are now."""
    async with db.transaction() as conn:
        user_id = await repo.touch_session(conn, digest(session_id))
        if user_id is None:
            raise session_ended()
        user = await users.user_by_id(conn, user_id)
        if user is None:  # not reachable: erasing the person deletes their sessions
            raise session_ended()
        roles = await groups.roles_of(conn, user.id)
    token = issuer.issue(
        user.id, roles, admin=user.is_admin, first_name=user.first_name, language=user.language
    )
    return AccessToken(access_token=token, expires_in=ACCESS_TOKEN_SECONDS, user_id=user.id)


async def end_session(db: Database, session_id: str) -> None:
    async with db.transaction() as conn:
        ended = await repo.end_session(conn, digest(session_id))
    if not ended:
        raise session_ended()


def service_token(
    settings: AccountsSettings, issuer: TokenIssuer, body: ServiceTokenRequest
) -> AccessToken:
    if not hmac.compare_digest(body.secret.encode(), settings.service_secret.encode()):
        raise Problem(
            401, "invalid-service-secret", "Secret de service invalide.", "Invalid service secret."
        )
    if settings.uses_default_service_secret and not settings.dev_mode:
        # The default is in the documentation: anybody could read everyone's contact details.
        raise Problem(
            403,
            "default-service-secret",
            "Le secret de service par défaut n'est accepté qu'en mode développement.",
            "The default service secret is only accepted in dev mode: set ACCOUNTS_SERVICE_SECRET.",
        )
    token = issuer.issue_service(body.service)
    return AccessToken(access_token=token, expires_in=SERVICE_TOKEN_SECONDS)
