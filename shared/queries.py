"""Typed answers of the statement shapes every repository uses (asyncpg's fetchval answers Any).

The statements stay fixed text with $n parameters, written where they are used; these only give
their one value a type.
"""

from shared.db import Connection


async def returned(conn: Connection, query: str, *args: object) -> bool:
    """A statement ending `RETURNING true` (or any non-null value): whether a row came back,
    i.e. whether it inserted, updated or deleted something."""
    return bool(await conn.fetchval(query, *args))


async def counted(conn: Connection, query: str, *args: object) -> int:
    """A statement answering one count: `SELECT count(*) …`, or
    `WITH gone AS (DELETE … RETURNING 1) SELECT count(*) FROM gone` for the rows it removed."""
    return int(await conn.fetchval(query, *args))


async def deleted(conn: Connection, query: str, *args: object) -> int:
    """A DELETE (or UPDATE): how many rows it touched, from its command status ("DELETE 3")."""
    status = await conn.execute(query, *args)
    return int(status.rsplit(" ", 1)[-1])
