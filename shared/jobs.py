"""Periodic background jobs of a `worker`/`all` process (shared.runtime.Platform.background).

Every job is the same loop: do one round, log a failure and carry on (a database or broker
outage must not end the job for good), wait, again. Cancellation (process stop) ends it.
Several workers running the same job at once must be harmless: each round is its own
transaction(s), claiming rows where needed.
"""

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from shared.db import Database
from shared.logging import get_logger

log = get_logger(__name__)
# Coroutine[Any, Any, None]: what asyncio.create_task takes (its yield and send types are free).
BackgroundJob = Callable[[Database], Coroutine[Any, Any, None]]
Round = Callable[[Database], Awaitable[object]]


def periodic(
    round_: Round,
    interval: float,
    failure: str,
    error: Callable[[Exception], str] = repr,
) -> BackgroundJob:
    """A job running `round_` every `interval` seconds (counted from the end of a round).

    A round that raises is logged as the warning `failure` with `error=error(exc)` and the job
    goes on; what a round returns is ignored (it logs its own result).
    """

    async def run(db: Database) -> None:
        while True:
            try:
                await round_(db)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning(failure, error=error(exc))
            await asyncio.sleep(interval)

    return run
