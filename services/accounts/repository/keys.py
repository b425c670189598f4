"""The key that signs access tokens: `signing_keys`."""

from dataclasses import dataclass

from shared.db import Connection


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_pem: str


async def lock_signing_keys(conn: Connection) -> None:
    """A transaction lock: one replica at a time reads or creates the key."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('accounts-signing-key'))")


async def latest_signing_key(conn: Connection) -> SigningKey | None:
    row = await conn.fetchrow(
        "SELECT kid, private_pem FROM signing_keys ORDER BY created_at DESC LIMIT 1"
    )
    return SigningKey(kid=row["kid"], private_pem=row["private_pem"]) if row else None


async def insert_signing_key(conn: Connection, key: SigningKey) -> None:
    await conn.execute(
        "INSERT INTO signing_keys (kid, private_pem) VALUES ($1, $2)", key.kid, key.private_pem
    )
