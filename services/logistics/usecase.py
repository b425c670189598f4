"""What every logistics use case shares: the events' source and the retry of a transaction."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg

SOURCE = "/logistics"
T = TypeVar("T")


async def retrying(work: Callable[[], Awaitable[T]], attempts: int = 3) -> T:
    """Run a transaction again when Postgres aborted it for a deadlock or serialization."""
    for attempt in range(attempts):
        try:
            return await work()
        except (asyncpg.DeadlockDetectedError, asyncpg.SerializationError):
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(0.01 * (attempt + 1))
    raise AssertionError("unreachable")
