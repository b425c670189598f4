"""Password hashing off the event loop, opaque secrets, signing keys, log-in throttling."""

import asyncio
import hashlib
import secrets
from datetime import timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from shared.auth import TokenIssuer
from shared.problems import Problem

_hasher = PasswordHasher()  # argon2id with the library's current parameters
# Verified against when the email is unknown, so both answers take the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


async def hash_password(password: str) -> str:
    return await asyncio.get_running_loop().run_in_executor(None, _hasher.hash, password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def verify_password(password_hash: str | None, password: str) -> bool:
    loop = asyncio.get_running_loop()
    ok = await loop.run_in_executor(None, _verify, password_hash or _DUMMY_HASH, password)
    return ok and password_hash is not None


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


async def load_signing_key(conn: Any) -> TokenIssuer:
    """The first replica creates the key; the others read it (under a transaction lock)."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('accounts-signing-key'))")
        row = await conn.fetchrow(
            "SELECT kid, private_pem FROM signing_keys ORDER BY created_at DESC LIMIT 1"
        )
        if row is not None:
            return TokenIssuer.from_pem(row["private_pem"], row["kid"])
        issuer = TokenIssuer.generate()
        await conn.execute(
            "INSERT INTO signing_keys (kid, private_pem) VALUES ($1, $2)",
            issuer.key_id,
            issuer.private_pem(),
        )
        return issuer


async def check_throttle(conn: Any, keys: list[tuple[str, int]], window: timedelta) -> None:
    """Refuse with 429 when any key had too many failures in the window (shared by replicas)."""
    for key, limit in keys:
        row = await conn.fetchrow(
            "SELECT count(*) AS failures, min(failed_at) AS oldest FROM login_failures"
            " WHERE throttle_key = $1 AND failed_at > now() - $2::interval",
            key,
            window,
        )
        if row["failures"] >= limit:
            retry = await conn.fetchval(
                "SELECT ceil(extract(epoch FROM $1::timestamptz + $2::interval - now()))::int",
                row["oldest"],
                window,
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
