"""One query on a database connection of its own, closed right after: for tests that look at
the tables of services running elsewhere (another process, another app's pool)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg


@asynccontextmanager
async def connected(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(database_url)
    try:
        yield conn
    finally:
        await conn.close()


async def fetch_value(database_url: str, query: str, *args: object) -> object:
    """The first column of the first row (None without a row)."""
    async with connected(database_url) as conn:
        return await conn.fetchval(query, *args)


async def count_of(database_url: str, query: str, *args: object) -> int:
    """The number a `SELECT count(*) …` query gives."""
    async with connected(database_url) as conn:
        count: int = await conn.fetchval(query, *args)
    return count


async def fetch_rows(database_url: str, query: str, *args: object) -> list[asyncpg.Record]:
    async with connected(database_url) as conn:
        return list(await conn.fetch(query, *args))
