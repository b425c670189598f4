"""asyncpg pool per service, schema-scoped, with bounded concurrency in front of it."""

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Literal

import asyncpg

IsolationLevel = Literal["read_committed", "repeatable_read", "serializable"]


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    await conn.set_type_codec("json", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def create_pool(dsn: str, schema: str, min_size: int = 2, max_size: int = 16) -> asyncpg.Pool:
    # search_path given in server_settings survives asyncpg's RESET ALL on release.
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        server_settings={"search_path": f"{schema},public", "application_name": schema},
    )
    assert pool is not None
    return pool


async def connect(dsn: str, schema: str) -> asyncpg.Connection:
    conn: asyncpg.Connection = await asyncpg.connect(
        dsn, server_settings={"search_path": f"{schema},public", "application_name": schema}
    )
    await _init_connection(conn)
    return conn


class Database:
    """A pool behind a semaphore, so overload waits fairly instead of piling onto the pool."""

    def __init__(self, pool: asyncpg.Pool, concurrency: int = 64) -> None:
        self.pool = pool
        self._gate = asyncio.Semaphore(concurrency)

    @asynccontextmanager
    async def transaction(self, isolation: IsolationLevel = "read_committed") -> AsyncIterator[Any]:
        async with self._gate, self.pool.acquire() as conn, conn.transaction(isolation=isolation):
            yield conn

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Any]:
        async with self._gate, self.pool.acquire() as conn:
            yield conn

    async def ping(self) -> bool:
        try:
            async with self.pool.acquire(timeout=2) as conn:
                return bool(await conn.fetchval("SELECT 1"))
        except Exception:
            return False
