"""The sender loop: claims due mail with FOR UPDATE SKIP LOCKED (replicas share the work),
composes it, sends it over SMTP and marks it sent in the same transaction as the claim.

A failure reschedules the row with exponential back-off: a down SMTP server delays mail, it does
not lose it. The row stays locked while it is being sent, so no other worker sends it too; the
only way to get a mail twice is a crash between the server's "250" and our commit."""

import asyncio
import contextlib
import uuid
from dataclasses import dataclass

import aiosmtplib

from services.notifications import repository as repo
from services.notifications.compose import Composer, NotReadyYet
from services.notifications.domain import retry_delay
from services.notifications.mail import InvalidAddress, OutgoingMail, build_message
from services.notifications.settings import NotificationsSettings
from shared.clients import Gone, Unavailable
from shared.clients.accounts import AccountsClient
from shared.db import Connection, Database
from shared.logging import get_logger
from shared.metrics import CONSUMER_ERRORS

log = get_logger(__name__)


class PermanentFailure(Exception):
    """The mail can never be delivered as it is (recipient refused by the server)."""


class SmtpTransport:
    """One SMTP connection per worker, kept open while there is mail, checked before use."""

    def __init__(self, settings: NotificationsSettings) -> None:
        self.settings = settings
        self._smtp: aiosmtplib.SMTP | None = None

    async def ready(self) -> None:
        """Connected and answering, or an exception (then the mail is not composed at all)."""
        if self._smtp is not None and self._smtp.is_connected:
            try:
                await self._smtp.noop()
                return
            except aiosmtplib.SMTPException:
                await self.close()
        s = self.settings
        smtp = aiosmtplib.SMTP(
            hostname=s.smtp_host,
            port=s.smtp_port,
            timeout=s.smtp_timeout,
            use_tls=s.smtp_use_tls,
            start_tls=s.smtp_start_tls,
            username=s.smtp_username,
            password=s.smtp_password,
        )
        await smtp.connect()
        self._smtp = smtp

    async def send(self, mail: OutgoingMail) -> None:
        await self.ready()
        assert self._smtp is not None
        message = build_message(mail)
        try:
            errors, _ = await self._smtp.send_message(
                message, sender=mail.sender.addr_spec, recipients=mail.envelope_recipients
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            if all(500 <= r.code < 600 for r in exc.recipients):
                raise PermanentFailure(f"recipient refused: {exc.recipients[0].code}") from exc
            raise
        except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPConnectError):
            await self.close()
            raise
        if errors:
            raise PermanentFailure(f"recipient refused: {next(iter(errors.values()))[0]}")

    async def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None and smtp.is_connected:
            with contextlib.suppress(Exception):
                await smtp.quit()
        if smtp is not None:
            with contextlib.suppress(Exception):
                smtp.close()


@dataclass
class Sender:
    settings: NotificationsSettings
    composer: Composer
    accounts: AccountsClient

    async def run(self, db: Database) -> None:
        """Background job: `sender_workers` workers, each with its own SMTP connection."""
        workers = [
            asyncio.create_task(self._worker(db, n), name=f"mail-sender-{n}")
            for n in range(max(self.settings.sender_workers, 1))
        ]
        try:
            await asyncio.gather(*workers)
        finally:
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)

    async def _worker(self, db: Database, number: int) -> None:
        transport = SmtpTransport(self.settings)
        try:
            while True:
                step = asyncio.create_task(self._step(db, transport))
                try:
                    # Shielded: a shutdown lets the mail in hand finish and be marked sent,
                    # rather than rolling back after the server said 250 (a double on restart).
                    busy = await asyncio.shield(step)
                except asyncio.CancelledError:
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(step, self.settings.smtp_timeout)
                    raise
                except Exception as exc:
                    CONSUMER_ERRORS.labels("notifications-sender").inc()
                    log.warning("mail_sender_failed", worker=number, error=repr(exc))
                    busy = False
                if not busy:
                    await transport.close()
                    await asyncio.sleep(self.settings.sender_poll_seconds)
        finally:
            await transport.close()

    async def _step(self, db: Database, transport: SmtpTransport) -> bool:
        return await self.expand_one_fanout(db) or await self.send_one(db, transport)

    def _delay(self, attempts: int) -> float:
        return retry_delay(
            attempts + 1, self.settings.retry_base_seconds, self.settings.retry_max_seconds
        )

    async def send_one(self, db: Database, transport: SmtpTransport) -> bool:
        """Handle one due mail; False when there was none."""
        async with db.transaction() as conn:
            mail = await repo.claim_due_mail(conn)
            if mail is None:
                return False
            await self._deliver(conn, mail, transport)
            return True

    async def _deliver(
        self, conn: Connection, mail: repo.QueuedMail, transport: SmtpTransport
    ) -> None:
        fields = {"mail_id": mail.id, "kind": mail.kind.value, "attempt": mail.attempts + 1}
        try:
            # SMTP first: a password-reset token is handed out once, so fetch it only when the
            # server is there to take the message.
            await transport.ready()
            outgoing = await self.composer.compose(conn, mail)
            await transport.send(outgoing)
        except (Gone, InvalidAddress, PermanentFailure) as exc:
            await repo.mark_dropped(conn, mail.id, f"{type(exc).__name__}: {exc}")
            log.warning("mail_dropped", reason=str(exc), **fields)
            return
        except (NotReadyYet, Unavailable, aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            delay = self._delay(mail.attempts)
            await repo.mark_retry(conn, mail.id, delay, repr(exc))
            log.warning(
                "mail_retry_scheduled", error=repr(exc), delay_seconds=round(delay, 1), **fields
            )
            return
        await repo.mark_sent(conn, mail.id)
        log.info("mail_sent", **fields)

    async def expand_one_fanout(self, db: Database) -> bool:
        """Turn one "to the members of a group" job into one queued mail per member."""
        async with db.transaction() as conn:
            fanout = await repo.claim_due_fanout(conn)
            if fanout is None:
                return False
            try:
                members = await self.accounts.members(fanout.group_id)
            except Gone:
                members = []
            except Unavailable as exc:
                await repo.fanout_retry(conn, fanout.id, self._delay(fanout.attempts), repr(exc))
                log.warning("fanout_retry_scheduled", fanout_id=fanout.id, error=repr(exc))
                return True
            if fanout.audience == "coordinators":
                recipients = [m.user_id for m in members if m.role == "coordinator"]
            elif fanout.audience == "members_without_order":
                distribution_id = fanout.context.get("distribution_id")
                ordered = (
                    await repo.users_with_order(conn, uuid.UUID(str(distribution_id)))
                    if distribution_id
                    else set()
                )
                recipients = [m.user_id for m in members if m.user_id not in ordered]
            else:
                recipients = [m.user_id for m in members]
            queued = await repo.expand_fanout(conn, fanout, recipients)
            log.info("fanout_expanded", fanout_id=fanout.id, kind=fanout.kind.value, queued=queued)
            return True
