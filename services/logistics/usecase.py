"""What every logistics use case shares: the events' source, how an event is published and the
retry of a transaction."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg

from shared.contracts.logistics import (
    DeliveryAssignedV1,
    DeliveryCancelledV1,
    DeliveryRequestedV1,
    DeliveryUnassignedV1,
    SlotBookingV1,
)
from shared.db import Connection, Database
from shared.outbox import add_event

SOURCE = "/logistics"
T = TypeVar("T")
DistributionEvent = (
    SlotBookingV1
    | DeliveryRequestedV1
    | DeliveryAssignedV1
    | DeliveryUnassignedV1
    | DeliveryCancelledV1
)


async def publish(conn: Connection, event: DistributionEvent) -> None:
    """Put a logistics event in the outbox (in the caller's transaction): its routing key, about
    its distribution (the subject), in its group."""
    await add_event(
        conn,
        event.ROUTING_KEY,
        SOURCE,
        event,
        subject=str(event.distribution_id),
        group_id=event.group_id,
    )


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


async def in_transaction(db: Database, work: Callable[[Connection], Awaitable[T]]) -> T:
    """Run `work` in one transaction, run again (new transaction) on deadlock or serialization."""

    async def attempt() -> T:
        async with db.transaction() as conn:
            return await work(conn)

    return await retrying(attempt)
