"""The development mail sink's table (`sink_messages`)."""

from dataclasses import dataclass
from datetime import datetime

from shared.db import Connection
from shared.queries import row_as, rows_as


@dataclass(frozen=True)
class SinkMessage:
    """A received mail as asyncpg reads it: `rcpt_tos` (text[]) a list, `raw` (bytea) bytes."""

    id: int
    received_at: datetime
    mail_from: str
    rcpt_tos: list[str]
    subject: str | None
    raw: bytes


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
    return await rows_as(
        conn,
        SinkMessage,
        "SELECT id, received_at, mail_from, rcpt_tos, subject, raw FROM sink_messages"
        " ORDER BY id DESC LIMIT $1",
        limit,
    )


async def get_sink_message(conn: Connection, message_id: int) -> SinkMessage | None:
    return await row_as(
        conn,
        SinkMessage,
        "SELECT id, received_at, mail_from, rcpt_tos, subject, raw FROM sink_messages"
        " WHERE id = $1",
        message_id,
    )
