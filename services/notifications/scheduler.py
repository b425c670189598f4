"""The closing reminder: the day before ordering closes, members of the group who have not
ordered get a reminder. Safe with several replicas: a `reminders_sent` row is claimed with
INSERT ... ON CONFLICT DO NOTHING in the same transaction as the fan-out job it creates."""

from datetime import UTC, datetime

from services.notifications import repository as repo
from services.notifications.domain import Kind, reminder_due, reminder_event_id
from services.notifications.settings import NotificationsSettings
from shared.db import Database
from shared.jobs import BackgroundJob, periodic
from shared.logging import get_logger
from shared.metrics import EMAIL_OLDEST_UNSENT, EMAIL_QUEUE_LENGTH

log = get_logger(__name__)


async def schedule_reminders(db: Database, hours_before: float) -> int:
    """Queue the reminders that are due now; returns how many distributions got one."""
    scheduled = 0
    async with db.transaction() as conn:
        for distribution in await repo.distributions_needing_reminder(conn, hours_before):
            now = datetime.now(UTC)
            if not reminder_due(now, distribution.opens_at, distribution.closes_at, hours_before):
                continue
            if not await repo.claim_reminder(conn, distribution.distribution_id):
                continue  # another replica got there first
            await repo.queue_fanout(
                conn,
                reminder_event_id(distribution.distribution_id),
                Kind.CLOSING_REMINDER,
                distribution.group_id,
                "members_without_order",
                {
                    "distribution_id": str(distribution.distribution_id),
                    "group_id": str(distribution.group_id),
                },
            )
            scheduled += 1
    if scheduled:
        log.info("closing_reminders_scheduled", distributions=scheduled)
    return scheduled


def reminder_job(settings: NotificationsSettings) -> BackgroundJob:
    async def schedule(db: Database) -> None:
        await schedule_reminders(db, settings.reminder_hours_before_close)

    return periodic(schedule, settings.reminder_check_seconds, "reminder_scheduler_failed")


async def measure_mail_queue(db: Database) -> None:
    """How many mails wait and since when: a failing SMTP server shows here first."""
    async with db.connection() as conn:
        state = await repo.mail_queue_state(conn)
    EMAIL_QUEUE_LENGTH.set(state.waiting)
    EMAIL_OLDEST_UNSENT.set(state.oldest_seconds)


def mail_queue_job(interval: float = 10.0) -> BackgroundJob:
    return periodic(measure_mail_queue, interval, "mail_queue_measure_failed")
