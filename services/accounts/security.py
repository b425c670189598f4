"""Password hashing off the event loop, opaque secrets, signing keys, e-mail keys."""

import asyncio
import hashlib
import secrets

import asyncpg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services.accounts.domain import email_key
from services.accounts.repository import keys, users
from shared.auth import TokenIssuer
from shared.db import Connection
from shared.logging import get_logger

log = get_logger(__name__)

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


async def load_signing_key(conn: Connection) -> TokenIssuer:
    """The first replica creates the key; the others read it (under a transaction lock)."""
    async with conn.transaction():
        await keys.lock_signing_keys(conn)
        found = await keys.latest_signing_key(conn)
        if found is not None:
            return TokenIssuer.from_pem(found.private_pem, found.kid)
        issuer = TokenIssuer.generate()
        await keys.insert_signing_key(
            conn, keys.SigningKey(kid=issuer.key_id, private_pem=issuer.private_pem())
        )
        return issuer


async def rekey_emails(conn: Connection) -> None:
    """Migration 0002 keyed non-ASCII addresses with SQL's folding: redo them with Python's."""
    for row in await users.non_ascii_emails(conn):
        key = email_key(row.email)
        if key == row.email_key:
            continue
        try:
            await users.set_email_key(conn, row.id, key)
        except asyncpg.UniqueViolationError:
            # Two accounts that only differ by folding: the other keeps the key, an admin decides.
            log.error("email_key_conflict", user_id=str(row.id))
