"""The development mail sink's table (`sink_messages`)."""

from dataclasses import dataclass
from datetime import datetime

from shared.db import Connection, Record


@dataclass(frozen=True)
class SinkMessage:
    id: int
    received_at: datetime
    mail_from: str
    rcpt_tos: list[str]
    subject: str | None
    raw: bytes


def _message(row: Record) -> SinkMessage:
    return SinkMessage(
        id=row["id"],
        received_at=row["received_at"],
        mail_from=row["mail_from"],
        rcpt_tos=list(row["rcpt_tos"]),
        subject=row["subject"],
        raw=bytes(row["raw"]),
    )


async def store_sink_message(
    conn: Connection, mail_from: str, rcpt_tos: list[str], subject: str | None, raw: bytes
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


async def list_sink_messages(conn: Connection, limit: int = 100) -> list[SinkMessage]:
    rows = await conn.fetch(
        "SELECT id, received_at, mail_from, rcpt_tos, subject, raw FROM sink_messages"
        " ORDER BY id DESC LIMIT $1",
        limit,
    )
    return [_message(r) for r in rows]


async def get_sink_message(conn: Connection, message_id: int) -> SinkMessage | None:
    row = await conn.fetchrow(
        "SELECT id, received_at, mail_from, rcpt_tos, subject, raw FROM sink_messages"
        " WHERE id = $1",
        message_id,
    )
    return _message(row) if row is not None else None
