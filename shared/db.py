"""asyncpg pool per service, schema-scoped, with bounded concurrency in front of it."""

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Literal, cast

import asyncpg

from shared.metrics import DB_POOL_WAITING

IsolationLevel = Literal["read_committed", "repeatable_read", "serializable"]
# What repositories take. A pool hands out a proxy of this class; typed as the connection itself
# (asyncpg-stubs), the proxy forwards every method.
Connection = asyncpg.Connection
Record = asyncpg.Record


def _as_connection(proxy: "asyncpg.pool.PoolConnectionProxy[Record]") -> Connection:
    # The stubs are wrong here: asyncpg-stubs types the pool's proxy as a class apart, while at run
    # time it forwards every method and isinstance(proxy, asyncpg.Connection) is True
    # (ConnectionMeta.__instancecheck__ accepts the proxy).
    return cast(Connection, proxy)


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

    def __init__(self, pool: asyncpg.Pool, concurrency: int = 64, name: str = "") -> None:
        self.pool = pool
        self._gate = asyncio.Semaphore(concurrency)
        self._waiting = DB_POOL_WAITING.labels(name)

    @asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        self._waiting.inc()
        try:
            await self._gate.acquire()
        finally:
            self._waiting.dec()
        try:
            yield
        finally:
            self._gate.release()

    @asynccontextmanager
    async def transaction(
        self, isolation: IsolationLevel = "read_committed"
    ) -> AsyncIterator[Connection]:
        async with self._turn(), self.pool.acquire() as conn, conn.transaction(isolation=isolation):
            yield _as_connection(conn)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        async with self._turn(), self.pool.acquire() as conn:
            yield _as_connection(conn)
