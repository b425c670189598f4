"""What the platform tables of a service keep about people, and for how long.

Erasure (`accounts.user.erased.v1` in every consuming service, accounts' own erase path): every
platform row that names the person goes in the erasure's transaction. Published outbox rows are
deleted at once; unpublished ones are still published (their consumers must hear of the change,
the erasure event first of all) and the relay deletes them instead of marking them published;
stored idempotency answers naming the person are deleted.

Retention (a job of every `worker`/`all` process, `retention_job`): published outbox rows, inbox
rows and idempotency answers older than `<PREFIX>_OUTBOX_RETENTION` (default 7 days), and ended
memberships (`membership_revocations`, which hold user ids) as soon as no access token issued
before them can still be alive (shared.revocations.HORIZON_SECONDS, about 20 minutes).
"""

import uuid

from pydantic import BaseModel

from shared.amqp import Handler
from shared.db import Connection, Database
from shared.envelope import CloudEvent
from shared.jobs import BackgroundJob, periodic
from shared.logging import get_logger
from shared.queries import counted
from shared.revocations import HORIZON_SECONDS

log = get_logger(__name__)
ERASED_EVENT = "accounts.user.erased.v1"
RETENTION_INTERVAL_SECONDS = 600.0
# Rows deleted per statement: a large backlog is removed in short transactions, not one long one.
PURGE_BATCH = 5000


async def forget_user(conn: Connection, user_id: uuid.UUID) -> dict[str, int]:
    """Inside the erasure's transaction: the outbox rows and idempotency answers naming the person.

    Events name a person by their id (never by contact details), so a text search of the body for
    the id finds every event about them. Unpublished rows are marked *before* published ones are
    deleted: a row the relay is publishing right now is locked; the UPDATE waits for the relay's
    commit, then skips the row (published by then), and the DELETE that follows, seeing the
    commit, removes it.
    """
    needle = str(user_id)
    marked = await counted(
        conn,
        "WITH marked AS (UPDATE outbox SET forget_after_publish = true"
        " WHERE published_at IS NULL AND NOT forget_after_publish"
        " AND strpos(body::text, $1) > 0 RETURNING 1) SELECT count(*) FROM marked",
        needle,
    )
    deleted = await counted(
        conn,
        "WITH gone AS (DELETE FROM outbox WHERE published_at IS NOT NULL"
        " AND strpos(body::text, $1) > 0 RETURNING 1) SELECT count(*) FROM gone",
        needle,
    )
    answers = await counted(
        conn,
        "WITH gone AS (DELETE FROM idempotency_keys WHERE strpos(scope, $1) > 0"
        " OR strpos(coalesce(response::text, ''), $1) > 0 RETURNING 1) SELECT count(*) FROM gone",
        needle,
    )
    return {
        "outbox_deleted": deleted,
        "outbox_deleted_after_publish": marked,
        "idempotency_answers_deleted": answers,
    }


def with_erasure(handlers: dict[str, Handler]) -> dict[str, Handler]:
    """The service's erasure handler, then `forget_user` in the same transaction.

    Last, so that the events the service's own handler emits about the person (a released slot, a
    cancelled delivery) are published and then deleted like the others.
    """
    own = handlers.get(ERASED_EVENT)
    if own is None:
        return handlers

    async def erase(conn: Connection, event: CloudEvent, data: BaseModel) -> None:
        await own(conn, event, data)
        user_id = getattr(data, "user_id", None)
        if isinstance(user_id, uuid.UUID):
            counts = await forget_user(conn, user_id)
            log.info("platform_rows_forgotten", event_id=str(event.id), **counts)

    return {**handlers, ERASED_EVENT: erase}


# One fixed statement per platform table (no SQL built from strings). ctid: these tables have
# different keys; a bounded DELETE needs a row address. $1: the age in seconds, $2: the batch.
_PURGE_STATEMENTS = {
    "outbox": "WITH gone AS (DELETE FROM outbox WHERE ctid IN (SELECT ctid FROM outbox"
    " WHERE published_at IS NOT NULL AND published_at < now() - make_interval(secs => $1)"
    " LIMIT $2) RETURNING 1) SELECT count(*) FROM gone",
    "inbox": "WITH gone AS (DELETE FROM inbox WHERE ctid IN (SELECT ctid FROM inbox"
    " WHERE received_at < now() - make_interval(secs => $1)"
    " LIMIT $2) RETURNING 1) SELECT count(*) FROM gone",
    "idempotency_keys": "WITH gone AS (DELETE FROM idempotency_keys WHERE ctid IN"
    " (SELECT ctid FROM idempotency_keys WHERE created_at < now() - make_interval(secs => $1)"
    " LIMIT $2) RETURNING 1) SELECT count(*) FROM gone",
    "membership_revocations": "WITH gone AS (DELETE FROM membership_revocations WHERE ctid IN"
    " (SELECT ctid FROM membership_revocations"
    " WHERE ended_at < now() - make_interval(secs => $1)"
    " LIMIT $2) RETURNING 1) SELECT count(*) FROM gone",
}


async def purge_expired(
    db: Database, retention_seconds: float, revocation_seconds: float = HORIZON_SECONDS
) -> dict[str, int]:
    """Delete what is past its retention, in batches (each its own short transaction)."""
    ages = {
        "outbox": retention_seconds,
        "inbox": retention_seconds,
        "idempotency_keys": retention_seconds,
        "membership_revocations": revocation_seconds,
    }
    removed: dict[str, int] = {}
    for table, seconds in ages.items():
        total = 0
        while True:
            async with db.transaction() as conn:
                count = await counted(conn, _PURGE_STATEMENTS[table], float(seconds), PURGE_BATCH)
            total += count
            if count < PURGE_BATCH:
                break
        removed[table] = total
    return removed


def retention_job(
    retention_seconds: float, interval: float = RETENTION_INTERVAL_SECONDS
) -> BackgroundJob:
    """A worker background job; several workers running it at once is harmless."""

    async def purge(db: Database) -> None:
        removed = await purge_expired(db, retention_seconds)
        if any(removed.values()):
            log.info("retention_rows_removed", **removed)

    return periodic(purge, interval, "retention_purge_failed")
