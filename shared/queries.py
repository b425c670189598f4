"""Typed answers of the statement shapes every repository uses (asyncpg's fetchval answers Any).

The statements stay fixed text with $n parameters, written where they are used; these only give
their answer a type.
"""

from collections.abc import Callable
from typing import TypeVar

from shared.db import Connection

Row = TypeVar("Row")
# What a row becomes (`row_as`, `rows_as`): a frozen dataclass or a pydantic model whose fields
# are named as the columns the statement selects (`AS` renames one that differs), called with
# the columns as keyword arguments.
Shape = Callable[..., Row]


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


async def row_as(conn: Connection, shape: Shape[Row], query: str, *args: object) -> Row | None:
    """The one row of a statement as `shape` (None: no row). A pydantic model also converts
    what the column holds (text into an enum); a dataclass takes the values as they come."""
    row = await conn.fetchrow(query, *args)
    return shape(**row) if row is not None else None


async def rows_as(conn: Connection, shape: Shape[Row], query: str, *args: object) -> list[Row]:
    """Every row of a statement as `shape`, in the statement's order."""
    return [shape(**row) for row in await conn.fetch(query, *args)]
