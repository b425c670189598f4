"""Development mail sink: an aiosmtpd SMTP server that keeps every message it receives in
`notifications.sink_messages`, listed at GET /dev/mail (HTML) and /dev/mail.json.

Two ways to run it:
- inside the notifications service, when NOTIFICATIONS_DEV_MODE=true (the run command does this);
- alone: `python -m services.notifications mailsink` (SMTP only; the pages stay on the service).
"""

import asyncio
import contextlib
import email
import logging
from email import policy
from email.message import EmailMessage
from typing import TypedDict

from aiosmtpd.smtp import SMTP, Envelope, Session

from services.notifications import repository as repo
from services.notifications.settings import NotificationsSettings
from shared.db import Database, create_pool
from shared.jobs import BackgroundJob
from shared.logging import get_logger

log = get_logger(__name__)
# aiosmtpd logs every command at INFO, recipients included: keep personal data out of the logs.
logging.getLogger("mail.log").setLevel(logging.WARNING)
MAX_MESSAGE_BYTES = 2 * 1024 * 1024


def parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def parts(raw: bytes) -> tuple[str, str]:
    """(text, html) of a received message, empty strings when absent."""
    message = parse(raw)
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    text = text_part.get_content() if isinstance(text_part, EmailMessage) else ""
    html = html_part.get_content() if isinstance(html_part, EmailMessage) else ""
    return str(text), str(html)


class SinkHandler:
    """aiosmtpd handler: store, then answer 250 (a failed store answers 451: try again)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        if isinstance(envelope.content, bytes) and not raw:
            raw = envelope.content
        try:
            subject = parse(raw).get("Subject")
        except Exception:
            subject = None
        mail_from = envelope.mail_from or ""
        try:
            async with self.db.transaction() as conn:
                await repo.store_sink_message(
                    conn,
                    str(mail_from),
                    list(envelope.rcpt_tos),
                    str(subject) if subject else None,
                    raw,
                )
        except Exception as exc:
            log.warning("mailsink_store_failed", error=repr(exc))
            return "451 Requested action aborted: local error in processing"
        return "250 Message accepted for delivery"


async def start_sink(db: Database, host: str, port: int) -> asyncio.Server:
    handler = SinkHandler(db)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(
            handler,
            hostname="vrac-mailsink",
            data_size_limit=MAX_MESSAGE_BYTES,
            enable_SMTPUTF8=True,
        ),
        host=host,
        port=port,
        reuse_address=True,
    )
    log.info("mailsink_listening", host=host, port=port)
    return server


def mailsink_job(settings: NotificationsSettings) -> BackgroundJob:
    """Background job of the service in dev mode. With several replicas on one machine only
    the first can bind the port; the others log it and carry on without a sink."""

    async def run(db: Database) -> None:
        try:
            server = await start_sink(db, settings.mailsink_host, settings.mailsink_port)
        except OSError as exc:
            log.warning("mailsink_not_started", port=settings.mailsink_port, error=str(exc))
            return
        try:
            await asyncio.Event().wait()
        finally:
            server.close()
            with contextlib.suppress(Exception):
                await server.wait_closed()

    return run


async def run_standalone(settings: NotificationsSettings) -> None:
    """`python -m services.notifications mailsink`: the SMTP side only, until interrupted."""
    pool = await create_pool(settings.database_url, "notifications", 1, 4)
    db = Database(pool, 4)
    server = await start_sink(db, settings.mailsink_host, settings.mailsink_port)
    try:
        await server.serve_forever()
    finally:
        server.close()
        await pool.close()


# The JSON of one mail (models.SinkMail); "from" is a keyword, hence the functional form.
SinkMailJson = TypedDict(
    "SinkMailJson",
    {
        "id": int,
        "received_at": str,
        "from": str,
        "to": str,
        "envelope_to": list[str],
        "subject": str,
        "language": str,
        "text": str,
        "html": str,
    },
)


async def received(db: Database, limit: int) -> list[repo.SinkMessage]:
    """The mails the sink kept, newest first."""
    async with db.connection() as conn:
        return await repo.list_sink_messages(conn, limit)


async def received_one(db: Database, message_id: int) -> repo.SinkMessage | None:
    async with db.connection() as conn:
        return await repo.get_sink_message(conn, message_id)


def summary(row: repo.SinkMessage) -> SinkMailJson:
    """The JSON of one mail (models.SinkMail), `received_at` as Python writes it."""
    text, html = parts(row.raw)
    message = parse(row.raw)
    return {
        "id": row.id,
        "received_at": row.received_at.isoformat(),
        "from": str(message.get("From", row.mail_from)),
        "to": str(message.get("To", ", ".join(row.rcpt_tos))),
        "envelope_to": list(row.rcpt_tos),
        "subject": row.subject or "",
        "language": str(message.get("Content-Language", "")),
        "text": text,
        "html": html,
    }
