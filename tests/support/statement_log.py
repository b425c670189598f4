"""Counting the statements a use case sends to Postgres (docs/performance.md, « Round trips »)."""

from collections.abc import Awaitable, Callable
from typing import TypeVar

from shared.db import Database

T = TypeVar("T")
# asyncpg asks Postgres about a type the first time a connection meets it (then caches it): not a
# round trip of the use case.
DRIVER_INTROSPECTION = ("typeinfo_tree", "set_config('jit'")


async def statements_of(database: Database, action: Callable[[], Awaitable[T]]) -> list[str]:
    """The statements (BEGIN and COMMIT included) sent while `action` runs."""
    database.statement_log = []
    try:
        await action()
        return [
            statement
            for statement in database.statement_log
            if not any(mark in statement for mark in DRIVER_INTROSPECTION)
        ]
    finally:
        database.statement_log = None


def check_budget(budget: dict[str, int], measured: dict[str, list[str]]) -> None:
    """Print each use case's count (the figures of docs/performance.md), then hold the budget."""
    for use_case, statements in measured.items():
        print(f"STATEMENTS {use_case}: {len(statements)} (budget {budget[use_case]})")
    for use_case, statements in measured.items():
        assert len(statements) <= budget[use_case], (use_case, statements)
