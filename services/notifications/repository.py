"""SQL of the notifications schema (search_path is the schema)."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.notifications.domain import Kind


@dataclass(frozen=True)
class QueuedMail:
    id: int
    event_id: uuid.UUID
    recipient_id: uuid.UUID
    kind: Kind
    related_user_id: uuid.UUID | None
    group_id: uuid.UUID | None
    context: dict[str, Any]
    attempts: int


@dataclass(frozen=True)
class Fanout:
    id: int
    event_id: uuid.UUID
    kind: Kind
    group_id: uuid.UUID
    audience: str
    context: dict[str, Any]
    attempts: int


@dataclass(frozen=True)
class DistributionRow:
    distribution_id: uuid.UUID
    group_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    opens_at: datetime
    closes_at: datetime
    place_name: str
    place_address: str


# --- written by the consumers -------------------------------------------------------------


async def queue_mail(
    conn: Any,
    event_id: uuid.UUID,
    recipient_id: uuid.UUID,
    kind: Kind,
    context: dict[str, Any],
    related_user_id: uuid.UUID | None = None,
    group_id: uuid.UUID | None = None,
) -> bool:
    """One row per (event, recipient, kind); a second insert of the same is a no-op."""
    inserted = await conn.fetchval(
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
    return bool(inserted)


async def queue_fanout(
    conn: Any,
    event_id: uuid.UUID,
    kind: Kind,
    group_id: uuid.UUID,
    audience: str,
    context: dict[str, Any],
) -> bool:
    inserted = await conn.fetchval(
        "INSERT INTO fanouts (event_id, kind, group_id, audience, context)"
        " VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT ON CONSTRAINT fanouts_once DO NOTHING RETURNING true",
        event_id,
        kind.value,
        group_id,
        audience,
        context,
    )
    return bool(inserted)


async def upsert_distribution(conn: Any, row: DistributionRow, event_time: datetime) -> None:
    await conn.execute(
        "INSERT INTO distributions (distribution_id, group_id, starts_at, ends_at, opens_at,"
        " closes_at, place_name, place_address, event_time)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        " ON CONFLICT (distribution_id) DO UPDATE SET group_id = EXCLUDED.group_id,"
        " starts_at = EXCLUDED.starts_at, ends_at = EXCLUDED.ends_at,"
        " opens_at = EXCLUDED.opens_at, closes_at = EXCLUDED.closes_at,"
        " place_name = EXCLUDED.place_name, place_address = EXCLUDED.place_address,"
        " event_time = EXCLUDED.event_time, updated_at = now()"
        " WHERE distributions.event_time <= EXCLUDED.event_time",
        row.distribution_id,
        row.group_id,
        row.starts_at,
        row.ends_at,
        row.opens_at,
        row.closes_at,
        row.place_name,
        row.place_address,
        event_time,
    )


async def get_distribution(conn: Any, distribution_id: uuid.UUID) -> DistributionRow | None:
    row = await conn.fetchrow(
        "SELECT distribution_id, group_id, starts_at, ends_at, opens_at, closes_at, place_name,"
        " place_address FROM distributions WHERE distribution_id = $1",
        distribution_id,
    )
    return DistributionRow(**dict(row)) if row is not None else None


async def record_order(conn: Any, distribution_id: uuid.UUID, user_id: uuid.UUID) -> None:
    await conn.execute(
        "INSERT INTO orders (distribution_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        distribution_id,
        user_id,
    )


async def users_with_order(conn: Any, distribution_id: uuid.UUID) -> set[uuid.UUID]:
    rows = await conn.fetch(
        "SELECT user_id FROM orders WHERE distribution_id = $1", distribution_id
    )
    return {r["user_id"] for r in rows}


async def save_assignment(
    conn: Any,
    request_id: uuid.UUID,
    distribution_id: uuid.UUID,
    group_id: uuid.UUID,
    requester_id: uuid.UUID,
    volunteer_id: uuid.UUID,
) -> None:
    await conn.execute(
        "INSERT INTO assignments (request_id, distribution_id, group_id, requester_id,"
        " volunteer_id) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (request_id) DO UPDATE SET volunteer_id = EXCLUDED.volunteer_id",
        request_id,
        distribution_id,
        group_id,
        requester_id,
        volunteer_id,
    )


async def remove_assignment(conn: Any, request_id: uuid.UUID) -> uuid.UUID | None:
    """The volunteer the request was assigned to, if it still was."""
    volunteer: uuid.UUID | None = await conn.fetchval(
        "DELETE FROM assignments WHERE request_id = $1 RETURNING volunteer_id", request_id
    )
    return volunteer


# --- the sender ------------------------------------------------------------------------------


async def claim_due_mail(conn: Any) -> QueuedMail | None:
    """Lock one due row; other replicas skip it until this transaction ends."""
    row = await conn.fetchrow(
        "SELECT id, event_id, recipient_id, kind, related_user_id, group_id, context, attempts"
        " FROM email_outbox WHERE status = 'pending' AND next_attempt_at <= now()"
        " ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED"
    )
    if row is None:
        return None
    values = dict(row)
    values["kind"] = Kind(values["kind"])
    return QueuedMail(**values)


async def mail_queue_state(conn: Any) -> tuple[int, float]:
    """Mails waiting to be sent, and the age in seconds of the oldest of them."""
    row = await conn.fetchrow(
        "SELECT count(*) AS waiting,"
        " coalesce(extract(epoch FROM now() - min(created_at)), 0) AS oldest"
        " FROM email_outbox WHERE status = 'pending'"
    )
    return int(row["waiting"]), float(row["oldest"])


async def mark_sent(conn: Any, mail_id: int) -> None:
    await conn.execute(
        "UPDATE email_outbox SET status = 'sent', sent_at = now(), attempts = attempts + 1,"
        " last_error = NULL WHERE id = $1",
        mail_id,
    )


async def mark_retry(conn: Any, mail_id: int, delay_seconds: float, error: str) -> None:
    await conn.execute(
        "UPDATE email_outbox SET attempts = attempts + 1, last_error = $3,"
        " next_attempt_at = now() + make_interval(secs => $2) WHERE id = $1",
        mail_id,
        delay_seconds,
        error[:500],
    )


async def mark_dropped(conn: Any, mail_id: int, reason: str) -> None:
    await conn.execute(
        "UPDATE email_outbox SET status = 'dropped', attempts = attempts + 1, last_error = $2"
        " WHERE id = $1",
        mail_id,
        reason[:500],
    )


async def claim_due_fanout(conn: Any) -> Fanout | None:
    row = await conn.fetchrow(
        "SELECT id, event_id, kind, group_id, audience, context, attempts FROM fanouts"
        " WHERE status = 'pending' AND next_attempt_at <= now()"
        " ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED"
    )
    if row is None:
        return None
    values = dict(row)
    values["kind"] = Kind(values["kind"])
    return Fanout(**values)


async def expand_fanout(conn: Any, fanout: Fanout, recipients: list[uuid.UUID]) -> int:
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


async def fanout_retry(conn: Any, fanout_id: int, delay_seconds: float, error: str) -> None:
    await conn.execute(
        "UPDATE fanouts SET attempts = attempts + 1, last_error = $3,"
        " next_attempt_at = now() + make_interval(secs => $2) WHERE id = $1",
        fanout_id,
        delay_seconds,
        error[:500],
    )


# --- the reminder scheduler ----------------------------------------------------------------


async def distributions_needing_reminder(conn: Any, hours_before: float) -> list[DistributionRow]:
    rows = await conn.fetch(
        "SELECT distribution_id, group_id, starts_at, ends_at, opens_at, closes_at, place_name,"
        " place_address FROM distributions d"
        " WHERE d.opens_at <= now() AND d.closes_at > now()"
        " AND d.closes_at <= now() + make_interval(secs => $1)"
        " AND NOT EXISTS (SELECT 1 FROM reminders_sent r"
        "                 WHERE r.distribution_id = d.distribution_id)",
        hours_before * 3600.0,
    )
    return [DistributionRow(**dict(r)) for r in rows]


async def claim_reminder(conn: Any, distribution_id: uuid.UUID) -> bool:
    claimed = await conn.fetchval(
        "INSERT INTO reminders_sent (distribution_id) VALUES ($1)"
        " ON CONFLICT DO NOTHING RETURNING true",
        distribution_id,
    )
    return bool(claimed)


# --- the development mail sink ---------------------------------------------------------------


async def store_sink_message(
    conn: Any, mail_from: str, rcpt_tos: list[str], subject: str | None, raw: bytes
) -> int:
    new_id: int = await conn.fetchval(
        "INSERT INTO sink_messages (mail_from, rcpt_tos, subject, raw) VALUES ($1, $2, $3, $4)"
        " RETURNING id",
        mail_from,
        rcpt_tos,
        subject,
        raw,
    )
    return new_id


async def list_sink_messages(conn: Any, limit: int = 100) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT id, received_at, mail_from, rcpt_tos, subject, raw FROM sink_messages"
        " ORDER BY id DESC LIMIT $1",
        limit,
    )
    return [dict(r) for r in rows]


async def get_sink_message(conn: Any, message_id: int) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        "SELECT id, received_at, mail_from, rcpt_tos, subject, raw FROM sink_messages"
        " WHERE id = $1",
        message_id,
    )
    return dict(row) if row is not None else None
