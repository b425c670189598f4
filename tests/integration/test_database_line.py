"""The line in front of a service's database pool (shared.db.Database): first come, first served.

asyncpg's own queue for a free connection does not keep the order in which requests asked: under
a rush, some lose dozens of places (the slow tail of docs/performance.md, « The line in front of
the pool »). So the line is as wide as the pool: nobody waits in the pool's own queue."""

import asyncio
import itertools

from aiohttp.test_utils import TestClient, TestServer

from services.ordering.bootstrap import build_app
from services.ordering.settings import OrderingSettings
from shared.auth import TokenVerifier
from shared.db import Database, create_pool
from shared.runtime import DB_KEY

POOL = 4
IN_FLIGHT = 32
REQUESTS = 500


async def places_lost(database_url: str, line_width: int) -> int:
    """With a line `line_width` wide in front of a pool of POOL connections: REQUESTS
    requests, IN_FLIGHT at a time, each a short transaction of two statements. How many places
    the 99th percentile request lost between asking for a connection and getting one (the
    slowest few lose a few more to task switches between asking and the line itself)."""
    asked: list[int] = []
    served: list[int] = []
    numbers = itertools.count()
    in_flight = asyncio.Semaphore(IN_FLIGHT)
    pool = await create_pool(database_url, "public", POOL, POOL)
    db = Database(pool, line_width)

    async def request() -> None:
        async with in_flight:
            number = next(numbers)
            asked.append(number)
            async with db.transaction() as conn:
                served.append(number)
                await conn.execute("SELECT 1")
                await conn.execute("SELECT 1")

    try:
        await asyncio.gather(*(request() for _ in range(REQUESTS)))
    finally:
        await pool.close()
    place = {number: index for index, number in enumerate(served)}
    losses = sorted(place[number] - index for index, number in enumerate(asked))
    return losses[len(losses) * 99 // 100]


async def test_requests_get_a_connection_in_the_order_they_asked(database_url: str) -> None:
    lost = await places_lost(database_url, POOL)
    print(f"line as wide as the pool: p99 request lost {lost} places")
    assert lost <= POOL


async def test_the_pool_alone_does_not_keep_the_order(database_url: str) -> None:
    """Why the line exists: with room for more requests than connections, the pool's own queue
    decides, and some requests lose dozens of places (the slow tail of a rush). If asyncpg ever
    keeps the order, this test says so and the line can go."""
    lost = await places_lost(database_url, IN_FLIGHT)
    print(f"pool's own queue: p99 request lost {lost} places")
    assert lost > 5 * POOL


async def test_a_service_lines_up_as_many_requests_as_its_pool_holds(
    database_url: str, amqp_url: str, events_exchange: str
) -> None:
    settings = OrderingSettings(
        database_url=database_url,
        amqp_url=amqp_url,
        events_exchange=events_exchange,
        db_pool_max=7,
    )
    app = await build_app(settings, verifier=TokenVerifier(jwks_url="http://127.0.0.1:9/jwks"))
    async with TestClient(TestServer(app)):
        assert app[DB_KEY].concurrency == 7
