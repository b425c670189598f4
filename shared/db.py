"""asyncpg pool per service, schema-scoped, with bounded concurrency in front of it."""

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Literal, cast

import asyncpg
import orjson
from asyncpg.connection import LoggedQuery

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


def _encode_json(value: object) -> str:
    # orjson is several times faster on the hot path (outbox bodies, remembered answers); what it
    # refuses (integers beyond 64 bits) is written by the standard library as before.
    try:
        return orjson.dumps(value).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value)


async def _init_connection(conn: asyncpg.Connection) -> None:
    # Reading with orjson: an integer beyond 64 bits would come back as a float; what the
    # services store in JSON (event bodies, answers) has bounded integers (pydantic contracts).
    for kind in ("jsonb", "json"):
        await conn.set_type_codec(
            kind, encoder=_encode_json, decoder=orjson.loads, schema="pg_catalog"
        )


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Release without asyncpg's reset query (`SELECT pg_advisory_unlock_all(); CLOSE ALL;
    UNLISTEN *; RESET ALL;`), one round trip saved per transaction.

    Safe because pooled connections keep no session state: every statement runs inside
    `Database.transaction()` (asyncpg still rolls back a transaction left open), locks are
    transaction-scoped (`pg_advisory_xact_lock`), LISTEN runs on dedicated connections
    (shared/listening.py) and nothing SETs a session variable (search_path is a startup
    parameter). tests/unit/test_pooled_sessions.py keeps it so.
    """


async def create_pool(dsn: str, schema: str, min_size: int = 2, max_size: int = 16) -> asyncpg.Pool:
    # search_path given in server_settings is the session's default, kept across transactions.
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        reset=_keep_session,
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

    def __init__(self, pool: asyncpg.Pool, concurrency: int, name: str = "") -> None:
        self.pool = pool
        # At most the pool's size: beyond it, requests wait in asyncpg's own queue for a free
        # connection, which does not keep their order (tests/integration/test_database_line.py).
        self.concurrency = concurrency
        self._gate = asyncio.Semaphore(concurrency)
        self._waiting = DB_POOL_WAITING.labels(name)
        # When a list, every statement sent through this Database is appended to it: how
        # tests count the round trips of a use case (docs/performance.md). None in production.
        self.statement_log: list[str] | None = None

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
        async with self._turn(), self.pool.acquire() as proxy:
            conn = _as_connection(proxy)
            with self._logged(conn):
                async with conn.transaction(isolation=isolation):
                    yield conn

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        async with self._turn(), self.pool.acquire() as proxy:
            conn = _as_connection(proxy)
            with self._logged(conn):
                yield conn

    @contextmanager
    def _logged(self, conn: Connection) -> Iterator[None]:
        log = self.statement_log
        if log is None:
            yield
            return

        def record(query: LoggedQuery) -> None:
            log.append(query.query)

        conn.add_query_logger(record)
        try:
            yield
        finally:
            conn.remove_query_logger(record)
