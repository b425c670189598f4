"""Idempotency-Key handling: a replay returns the first answer, concurrent twins wait for it."""

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from shared.db import Connection
from shared.problems import Problem

MAX_KEY_LENGTH = 200


def idempotency_key(request: web.Request) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise Problem(
            400,
            "invalid-idempotency-key",
            "En-tête Idempotency-Key invalide.",
            "Invalid Idempotency-Key header.",
        )
    return key


async def claim(conn: Connection, scope: str, key: str) -> tuple[int, Any] | None:
    """Inside a transaction: take the key (blocking on a concurrent twin) or return its answer.

    Returns None when this transaction owns the key and must do the work and `remember` it.
    """
    inserted = await conn.fetchval(
        "INSERT INTO idempotency_keys (scope, key) VALUES ($1, $2)"
        " ON CONFLICT DO NOTHING RETURNING true",
        scope,
        key,
    )
    if inserted:
        return None
    return await kept(conn, scope, key)


# A use case may fold the claim into its own first statement instead of calling `claim` (one
# round trip less): `INSERT INTO idempotency_keys (scope, key) … ON CONFLICT DO NOTHING` there,
# then, when nothing was inserted, `kept` here, in a statement of its own: a statement that waited
# for a twin still sees the database as it was before the wait, without the twin's answer. A SQL
# function may read the answer itself (each of its statements sees what was committed before it)
# and hand it to `kept_answer`. The answer is stored by `remember` or by the use case's last
# statement (the same UPDATE).


async def kept(conn: Connection, scope: str, key: str) -> tuple[int, Any]:
    """The answer kept for a key this transaction could not claim (a replay)."""
    row = await conn.fetchrow(
        "SELECT status, response FROM idempotency_keys WHERE scope = $1 AND key = $2", scope, key
    )
    return kept_answer(None, None) if row is None else kept_answer(row["status"], row["response"])


def kept_answer(status: int | None, response: Any) -> tuple[int, Any]:
    """The kept (status, body) of a key; no status yet: its request never finished (409)."""
    if status is None:
        raise Problem(
            409,
            "request-in-progress",
            "Requête déjà en cours de traitement.",
            "This request is already being processed.",
        )
    return int(status), response


async def remember(conn: Connection, scope: str, key: str, status: int, response: Any) -> None:
    await conn.execute(
        "UPDATE idempotency_keys SET status = $3, response = $4 WHERE scope = $1 AND key = $2",
        scope,
        key,
        status,
        response,
    )


async def once(
    conn: Connection, scope: str, key: str | None, work: Callable[[], Awaitable[tuple[int, Any]]]
) -> tuple[int, Any]:
    """Inside a transaction: do `work` (status, JSON body) once per key; a replay gets its answer.

    Without a key the work is simply done. An error raised by `work` rolls the key back with the
    rest of the transaction, so a retry after a refusal is tried afresh.
    """
    if key is None:
        return await work()
    prior = await claim(conn, scope, key)
    if prior is not None:
        return prior
    status, body = await work()
    await remember(conn, scope, key, status, body)
    return status, body
