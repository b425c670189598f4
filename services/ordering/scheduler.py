"""Background job: announce distributions whose opening or closing time passed.

Safe with several replicas: each row is claimed by a conditional UPDATE (… WHERE
opened_announced_at IS NULL … FOR UPDATE SKIP LOCKED) in the transaction of its outbox insert.
"""

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from services.ordering.distributions import announce_due
from shared.db import Database
from shared.logging import get_logger

log = get_logger(__name__)


def scheduler(interval: float) -> Callable[[Database], Coroutine[Any, Any, None]]:
    async def run(db: Database) -> None:
        while True:
            try:
                announced = await announce_due(db)
                if announced:
                    log.info("distributions_announced", count=announced)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("scheduler_failed", error=str(exc))
            await asyncio.sleep(interval)

    return run
