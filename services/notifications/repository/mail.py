"""The email outbox (one row per mail to send) and the fan-outs ("to every member of a group"
jobs the sender expands into mails)."""

import uuid
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict

from services.notifications.domain import Kind
from shared.db import Connection
from shared.queries import returned, row_as

# The `context` of a mail or fan-out: non-personal event data (ids, amounts, order lines) kept as
# jsonb; its keys depend on the mail's kind (compose.py reads them).
JsonObject = dict[str, Any]


class _Claimed(BaseModel):
    """A row the sender claims and works on: a mail to send or a fan-out to expand."""

    model_config = ConfigDict(frozen=True)

    id: int
    event_id: uuid.UUID
    kind: Kind
    context: JsonObject
    attempts: int


class QueuedMail(_Claimed):
    recipient_id: uuid.UUID
    related_user_id: uuid.UUID | None
    group_id: uuid.UUID | None


class Fanout(_Claimed):
    group_id: uuid.UUID
    audience: str


@dataclass(frozen=True)
class MailQueueState:
    waiting: int
    oldest_seconds: float


# --- written by the consumers and the reminder scheduler ----------------------------------


async def queue_mail(
    conn: Connection,
    event_id: uuid.UUID,
    recipient_id: uuid.UUID,
    kind: Kind,
    context: JsonObject,
    related_user_id: uuid.UUID | None = None,
    group_id: uuid.UUID | None = None,
) -> bool:
    """One row per (event, recipient, kind); a second insert of the same is a no-op."""
    return await returned(
        conn,
        "INSERT INTO email_outbox (event_id, recipient_id, kind, context, related_user_id,"
        " group_id) VALUES ($1, $2, $3, $4, $5, $6)"
        " ON CONFLICT ON CONSTRAINT email_outbox_once DO NOTHING RETURNING true",
        event_id,
        recipient_id,
        kind.value,
        context,
        related_user_id,
        group_id,
    )


async def queue_fanout(
    conn: Connection,
    event_id: uuid.UUID,
    kind: Kind,
    group_id: uuid.UUID,
    audience: str,
    context: JsonObject,
) -> bool:
    return await returned(
        conn,
        "INSERT INTO fanouts (event_id, kind, group_id, audience, context)"
        " VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT ON CONSTRAINT fanouts_once DO NOTHING RETURNING true",
        event_id,
        kind.value,
        group_id,
        audience,
        context,
    )


# --- the sender ------------------------------------------------------------------------------


async def claim_due_mail(conn: Connection) -> QueuedMail | None:
    """Lock one due row; other replicas skip it until this transaction ends."""
    return await row_as(
        conn,
        QueuedMail,
        "SELECT id, event_id, recipient_id, kind, related_user_id, group_id, context, attempts"
        " FROM email_outbox WHERE status = 'pending' AND next_attempt_at <= now()"
        " ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED",
    )


async def mail_queue_state(conn: Connection) -> MailQueueState:
    """Mails waiting to be sent, and the age in seconds of the oldest of them."""
    row = await conn.fetchrow(
        "SELECT count(*) AS waiting,"
        " coalesce(extract(epoch FROM now() - min(created_at)), 0) AS oldest"
        " FROM email_outbox WHERE status = 'pending'"
    )
    assert row is not None  # an aggregate always gives one row
    return MailQueueState(int(row["waiting"]), float(row["oldest"]))


async def mark_sent(conn: Connection, mail_id: int) -> None:
    await conn.execute(
        "UPDATE email_outbox SET status = 'sent', sent_at = now(), attempts = attempts + 1,"
        " last_error = NULL WHERE id = $1",
        mail_id,
    )


async def mark_retry(conn: Connection, mail_id: int, delay_seconds: float, error: str) -> None:
    await conn.execute(
        "UPDATE email_outbox SET attempts = attempts + 1, last_error = $3,"
        " next_attempt_at = now() + make_interval(secs => $2) WHERE id = $1",
        mail_id,
        delay_seconds,
        error[:500],
    )


async def mark_dropped(conn: Connection, mail_id: int, reason: str) -> None:
    await conn.execute(
        "UPDATE email_outbox SET status = 'dropped', attempts = attempts + 1, last_error = $2"
        " WHERE id = $1",
        mail_id,
        reason[:500],
    )


async def claim_due_fanout(conn: Connection) -> Fanout | None:
    return await row_as(
        conn,
        Fanout,
        "SELECT id, event_id, kind, group_id, audience, context, attempts FROM fanouts"
        " WHERE status = 'pending' AND next_attempt_at <= now()"
        " ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED",
    )


async def expand_fanout(conn: Connection, fanout: Fanout, recipients: list[uuid.UUID]) -> int:
    inserted = await conn.fetchval(
        "WITH added AS (INSERT INTO email_outbox (event_id, recipient_id, kind, context,"
        " group_id) SELECT $1, r, $2, $3, $4 FROM unnest($5::uuid[]) AS r"
        " ON CONFLICT ON CONSTRAINT email_outbox_once DO NOTHING RETURNING 1)"
        " SELECT count(*) FROM added",
        fanout.event_id,
        fanout.kind.value,
        fanout.context,
        fanout.group_id,
        recipients,
    )
    await conn.execute(
        "UPDATE fanouts SET status = 'done', expanded_at = now(), recipients = $2,"
        " attempts = attempts + 1 WHERE id = $1",
        fanout.id,
        len(recipients),
    )
    return int(inserted)


async def fanout_retry(conn: Connection, fanout_id: int, delay_seconds: float, error: str) -> None:
    await conn.execute(
        "UPDATE fanouts SET attempts = attempts + 1, last_error = $3,"
        " next_attempt_at = now() + make_interval(secs => $2) WHERE id = $1",
        fanout_id,
        delay_seconds,
        error[:500],
    )
