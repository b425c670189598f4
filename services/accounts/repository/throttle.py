"""Failed log-ins per throttle key (an HMAC, never an address in clear): `login_failures`;
and the clean-up of expired reset links."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.db import Connection
from shared.queries import deleted


@dataclass(frozen=True)
class Failures:
    count: int
    oldest: datetime | None


async def failures_within(conn: Connection, key: str, within: timedelta) -> Failures:
    row = await conn.fetchrow(
        "SELECT count(*) AS failures, min(failed_at) AS oldest FROM login_failures"
        " WHERE throttle_key = $1 AND failed_at > now() - $2::interval",
        key,
        within,
    )
    assert row is not None  # an aggregate always gives one row
    return Failures(count=row["failures"], oldest=row["oldest"])


async def seconds_until(conn: Connection, oldest: datetime | None, within: timedelta) -> int | None:
    """Seconds (rounded up, by the database's clock) until `oldest` leaves the window."""
    seconds: int | None = await conn.fetchval(
        "SELECT ceil(extract(epoch FROM $1::timestamptz + $2::interval - now()))::int",
        oldest,
        within,
    )
    return seconds


async def record_failures(conn: Connection, keys: list[str]) -> None:
    await conn.executemany(
        "INSERT INTO login_failures (throttle_key) VALUES ($1)", [(k,) for k in keys]
    )


async def forget_key(conn: Connection, key: str) -> None:
    await conn.execute("DELETE FROM login_failures WHERE throttle_key = $1", key)


async def delete_failures_before(conn: Connection, within: timedelta) -> int:
    return await deleted(
        conn,
        "DELETE FROM login_failures WHERE failed_at <= now() - $1::interval",
        within,
    )


async def delete_spent_resets(conn: Connection) -> int:
    """Reset links past their use (and past the reset-mail hour, which counts them)."""
    return await deleted(
        conn,
        "DELETE FROM password_resets WHERE expires_at < now() AND created_at < now() -"
        " interval '1 hour'",
    )
