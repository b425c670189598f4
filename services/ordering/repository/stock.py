"""Invariant « le stock ne passe jamais sous zéro » (stock is never oversold), enforced here.

Two guards, on purpose in SQL rather than in domain.py (a rule checked in Python between a read
and a write is lost to a concurrent validation):
- the SQL function `take_stock` (migrations/0002_one_round_trip_use_cases.sql;
  PL/pgSQL since 0003_cached_plans.sql, for its kept plan), one statement: it
  takes every quantity asked, or reports the products that fall short (the caller then rolls the
  whole transaction back). A validation calls it last, inside `validation_save`; a correction
  calls it through `take_stock` below;
- the CHECK `products_stock_check` (stock >= 0) on `products.stock` (migrations/0001_init.sql),
  the backstop that refuses any other write that would leave a negative stock.
Proved by tests/integration/ordering/test_orders.py (120 concurrent orders never oversell a
stock of 50), tests/integration/test_stateful_slots_and_stock.py and
tests/contract/test_database_backstops.py (the CHECK).
"""

import uuid
from decimal import Decimal

from shared.db import Connection


async def take_stock(conn: Connection, deltas: dict[uuid.UUID, Decimal]) -> list[uuid.UUID]:
    """stock -= delta for every stocked product, or nothing: returns the products that fall short.

    A negative delta gives stock back (a correction lowering a line). On a non-empty answer the
    caller must roll back, since the other rows have moved.
    """
    if not deltas:
        return []
    ids = list(deltas)
    short: list[uuid.UUID] = await conn.fetchval(
        "SELECT ARRAY(SELECT take_stock($1::uuid[], $2::numeric[]))", ids, [deltas[i] for i in ids]
    )
    return short
