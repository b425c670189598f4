"""Log-in throttling per account and per client address, shared by replicas through Postgres.

Keys are stored as HMAC-SHA256 under a server key: the table never holds an e-mail or an address
in clear, and nobody can test guesses against it without the key. Rows older than the window are
removed by the worker's cleanup job.
"""

import hashlib
import hmac
from datetime import timedelta

from services.accounts.domain import email_key
from services.accounts.repository import throttle as repo
from services.accounts.settings import AccountsSettings
from shared.db import Connection, Database
from shared.jobs import BackgroundJob, periodic
from shared.logging import get_logger
from shared.problems import Problem

log = get_logger(__name__)
CLEANUP_SECONDS = 60.0


def _server_key(settings: AccountsSettings) -> bytes:
    if settings.throttle_key:
        return settings.throttle_key.encode()
    # Derived, so a deployment needs no extra secret; a separate key lets one rotate apart.
    return hmac.new(
        settings.service_secret.encode(), b"accounts-throttle-key", hashlib.sha256
    ).digest()


def _keyed(settings: AccountsSettings, kind: str, value: str) -> str:
    return hmac.new(_server_key(settings), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def account_key(settings: AccountsSettings, email: str) -> str:
    """Every spelling of one address ("TIM", "ｔｉｍ") gives the same key (domain.email_key)."""
    return _keyed(settings, "account", email_key(email))


def address_key(settings: AccountsSettings, client_address: str) -> str:
    return _keyed(settings, "address", client_address)


def window(settings: AccountsSettings) -> timedelta:
    return timedelta(seconds=settings.login_window_seconds)


async def check_throttle(conn: Connection, keys: list[tuple[str, int]], within: timedelta) -> None:
    """Refuse with 429 when any key had too many failures in the window."""
    for key, limit in keys:
        failures = await repo.failures_within(conn, key, within)
        if failures.count >= limit:
            retry = await repo.seconds_until(conn, failures.oldest, within)
            raise Problem(
                429,
                "too-many-attempts",
                "Trop de tentatives de connexion. Réessayez dans quelques minutes.",
                "Too many log-in attempts. Try again in a few minutes.",
                headers={"Retry-After": str(max(int(retry or 1), 1))},
            )


async def record_failure(conn: Connection, keys: list[str]) -> None:
    await repo.record_failures(conn, keys)


async def forget(conn: Connection, key: str) -> None:
    """The failures counted against one key are forgotten."""
    await repo.forget_key(conn, key)


async def clear_account(conn: Connection, settings: AccountsSettings, email: str) -> None:
    """A successful log-in or password reset: the account's failures are forgotten."""
    await repo.forget_key(conn, account_key(settings, email))


async def forget_old_attempts(conn: Connection, settings: AccountsSettings) -> int:
    """Failures past the window, and reset links past their use (and the reset-mail hour)."""
    failures = await repo.delete_failures_before(conn, window(settings))
    resets = await repo.delete_spent_resets(conn)
    return failures + resets


def cleanup_job(settings: AccountsSettings, interval: float = CLEANUP_SECONDS) -> BackgroundJob:
    """A worker background job; several workers running it at once is harmless."""

    async def cleanup(db: Database) -> None:
        async with db.transaction() as conn:
            removed = await forget_old_attempts(conn, settings)
        if removed:
            log.info("throttle_rows_removed", count=removed)

    return periodic(cleanup, interval, "throttle_cleanup_failed", error=str)
