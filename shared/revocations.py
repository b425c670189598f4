"""Leaving a group ends access at once, although access tokens live 15 minutes.

A `worker` records each ended membership (`accounts.member.left.v1`, `accounts.user.erased.v1`)
in its schema's `membership_revocations`; every `api` process keeps the recent rows in memory
(loaded at start, refreshed on NOTIFY and every few seconds in case a notification was missed)
and drops the group from any token issued before the membership ended. So a member who left can
no longer read or write in that group as soon as the event reaches the service (milliseconds; while
the broker is away, at the latest when the token expires).
"""

import asyncio
import contextlib
import uuid
from datetime import datetime

import asyncpg
from aiohttp import web
from pydantic import BaseModel

from shared.amqp import Handler
from shared.auth import ACCESS_TOKEN_SECONDS, Principal
from shared.contracts.accounts import MemberLeftV1, UserErasedV1
from shared.db import Connection
from shared.envelope import CloudEvent
from shared.listening import listen_to
from shared.logging import get_logger
from shared.queries import rows_as

log = get_logger(__name__)
# Rows older than any living token are of no use; a margin covers clock skew between hosts.
HORIZON_SECONDS = ACCESS_TOKEN_SECONDS + 300
ENDING_EVENTS = ("accounts.member.left.v1", "accounts.user.erased.v1")


async def record_membership_ends(
    conn: Connection, user_id: uuid.UUID, group_ids: list[uuid.UUID], ended_at: datetime
) -> None:
    await conn.execute(
        "INSERT INTO membership_revocations (user_id, group_id, ended_at)"
        " SELECT $1, unnest($2::uuid[]), $3"
        " ON CONFLICT (user_id, group_id)"
        " DO UPDATE SET ended_at = greatest(membership_revocations.ended_at, EXCLUDED.ended_at)",
        user_id,
        group_ids,
        ended_at,
    )


# A membership that ended, as every service's part of a person's data download lists it. (No
# docstring: it would become the description of the model's schema in the OpenAPI documents.)
class EndedMembership(BaseModel):
    group_id: uuid.UUID
    ended_at: datetime


async def memberships_ended(conn: Connection, user_id: uuid.UUID) -> list[EndedMembership]:
    """The person's ended memberships this schema still holds (oldest first)."""
    return await rows_as(
        conn,
        EndedMembership,
        "SELECT group_id, ended_at FROM membership_revocations WHERE user_id = $1"
        " ORDER BY ended_at",
        user_id,
    )


async def _on_membership_ended(conn: Connection, event: CloudEvent, data: BaseModel) -> None:
    if isinstance(data, MemberLeftV1):
        await record_membership_ends(conn, data.user_id, [data.group_id], event.time)
    elif isinstance(data, UserErasedV1):
        await record_membership_ends(conn, data.user_id, list(data.group_ids), event.time)


def with_membership_ends(handlers: dict[str, Handler]) -> dict[str, Handler]:
    """The service's handlers, plus recording ended memberships (before the service's own)."""
    combined = dict(handlers)
    for routing_key in ENDING_EVENTS:
        own = handlers.get(routing_key)

        async def both(
            conn: Connection, event: CloudEvent, data: BaseModel, own: Handler | None = own
        ) -> None:
            await _on_membership_ended(conn, event, data)
            if own is not None:
                await own(conn, event, data)

        combined[routing_key] = both
    return combined


class Revocations:
    """The recent ended memberships of one schema, in memory, kept fresh."""

    def __init__(
        self, pool: asyncpg.Pool, dsn: str, schema: str, refresh_seconds: float = 5.0
    ) -> None:
        self.pool = pool
        self.dsn = dsn
        self.schema = schema
        self.refresh_seconds = refresh_seconds
        self._ended: dict[tuple[str, str], float] = {}
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        await self.refresh()
        self._tasks = [asyncio.create_task(self._listen()), asyncio.create_task(self._poll())]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def refresh(self) -> None:
        async with self.pool.acquire(timeout=5) as conn:
            rows = await conn.fetch(
                "SELECT user_id, group_id, extract(epoch FROM ended_at) AS ended"
                " FROM membership_revocations"
                " WHERE ended_at > now() - make_interval(secs => $1)",
                HORIZON_SECONDS,
            )
        self._ended = {(str(r["user_id"]), str(r["group_id"])): float(r["ended"]) for r in rows}

    def restrict(self, principal: Principal) -> Principal:
        """The principal without the groups whose membership ended after its token was issued."""
        if principal.service is not None or not self._ended:
            return principal
        kept = {
            group: role
            for group, role in principal.memberships.items()
            if self._ended.get((principal.subject, group), 0.0) < principal.issued_at
        }
        if len(kept) == len(principal.memberships):
            return principal
        return principal.with_memberships(kept)

    async def _poll(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.refresh_seconds)
            self._wake.clear()
            try:
                await self.refresh()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("revocations_refresh_failed", schema=self.schema, error=repr(exc))

    async def _listen(self) -> None:
        # catch_up: anything missed while not listening.
        await listen_to(self.dsn, self.schema, "revocations", self._wake.set, catch_up=True)


REVOCATIONS_KEY = web.AppKey("revocations", Revocations)
