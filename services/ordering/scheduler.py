"""Background job: announce distributions whose opening or closing time passed.

Safe with several replicas: each row is claimed by a conditional UPDATE (… WHERE
opened_announced_at IS NULL … FOR UPDATE SKIP LOCKED) in the transaction of its outbox insert.
"""

from services.ordering.distributions import announce_due
from shared.db import Database
from shared.jobs import BackgroundJob, periodic
from shared.logging import get_logger

log = get_logger(__name__)


async def _announce_round(db: Database) -> None:
    announced = await announce_due(db)
    if announced:
        log.info("distributions_announced", count=announced)


def scheduler(interval: float) -> BackgroundJob:
    return periodic(_announce_round, interval, "scheduler_failed", error=str)
