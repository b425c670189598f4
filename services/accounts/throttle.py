"""Log-in throttling per account and per client address, shared by replicas through Postgres.

Keys are stored as HMAC-SHA256 under a server key: the table never holds an e-mail or an address
in clear, and nobody can test guesses against it without the key. Rows older than the window are
removed by the worker's cleanup job.
"""

import asyncio
import hashlib
import hmac
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from services.accounts.domain import email_key
from services.accounts.settings import AccountsSettings
from shared.db import Database
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


async def check_throttle(conn: Any, keys: list[tuple[str, int]], within: timedelta) -> None:
    """Refuse with 429 when any key had too many failures in the window."""
    for key, limit in keys:
        row = await conn.fetchrow(
            "SELECT count(*) AS failures, min(failed_at) AS oldest FROM login_failures"
            " WHERE throttle_key = $1 AND failed_at > now() - $2::interval",
            key,
            within,
        )
        if row["failures"] >= limit:
            retry = await conn.fetchval(
                "SELECT ceil(extract(epoch FROM $1::timestamptz + $2::interval - now()))::int",
                row["oldest"],
                within,
            )
            raise Problem(
                429,
                "too-many-attempts",
                "Trop de tentatives de connexion. Réessayez dans quelques minutes.",
                "Too many log-in attempts. Try again in a few minutes.",
                headers={"Retry-After": str(max(int(retry or 1), 1))},
            )


async def record_failure(conn: Any, keys: list[str]) -> None:
    await conn.executemany(
        "INSERT INTO login_failures (throttle_key) VALUES ($1)", [(k,) for k in keys]
    )


async def clear_account(conn: Any, settings: AccountsSettings, email: str) -> None:
    """A successful log-in or password reset: the account's failures are forgotten."""
    await conn.execute(
        "DELETE FROM login_failures WHERE throttle_key = $1", account_key(settings, email)
    )


async def forget_old_attempts(conn: Any, settings: AccountsSettings) -> int:
    """Failures past the window, and reset links past their use (and the reset-mail hour)."""
    failures = await conn.fetchval(
        "WITH gone AS (DELETE FROM login_failures WHERE failed_at <= now() - $1::interval"
        " RETURNING 1) SELECT count(*) FROM gone",
        window(settings),
    )
    resets = await conn.fetchval(
        "WITH gone AS (DELETE FROM password_resets WHERE expires_at < now()"
        " AND created_at < now() - interval '1 hour' RETURNING 1) SELECT count(*) FROM gone"
    )
    return int(failures) + int(resets)


def cleanup_job(
    settings: AccountsSettings, interval: float = CLEANUP_SECONDS
) -> Callable[[Database], Coroutine[Any, Any, None]]:
    """A worker background job; several workers running it at once is harmless."""

    async def run(db: Database) -> None:
        while True:
            try:
                async with db.transaction() as conn:
                    removed = await forget_old_attempts(conn, settings)
                if removed:
                    log.info("throttle_rows_removed", count=removed)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("throttle_cleanup_failed", error=str(exc))
            await asyncio.sleep(interval)

    return run
