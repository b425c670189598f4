"""Invariant « le stock ne passe jamais sous zéro » (stock is never oversold), enforced here.

Two guards, on purpose in SQL rather than in domain.py (a rule checked in Python between a read
and a write is lost to a concurrent validation):
- the statement `TAKE_STOCK` below: it takes every quantity asked, or reports the products that
  fall short (the caller then rolls the whole transaction back);
- the CHECK `products_stock_check` (stock >= 0) on `products.stock` (migrations/0001_init.sql),
  the backstop that refuses any other write that would leave a negative stock.
Proved by tests/integration/ordering/test_orders.py (120 concurrent orders never oversell a
stock of 50), tests/integration/test_stateful_slots_and_stock.py and
tests/contract/test_database_backstops.py (the CHECK).
"""

import uuid
from decimal import Decimal

from shared.db import Connection

# One statement: the stocked rows are locked in id order first (no deadlocks between
# validations), and only rows already locked are updated, from their locked (latest) stock and
# only where that stock covers the quantity: stock never goes negative. Products without stock
# (NULL: not tracked) are ignored. Answers the locked products that were not moved (short).
TAKE_STOCK = (
    "WITH locked AS (SELECT id, stock FROM products WHERE id = ANY($1::uuid[])"
    " AND stock IS NOT NULL ORDER BY id FOR NO KEY UPDATE),"
    " wanted AS (SELECT * FROM unnest($1::uuid[], $2::numeric[]) AS x(id, q)),"
    " moved AS (UPDATE products p SET stock = l.stock - w.q FROM wanted w"
    " JOIN locked l ON l.id = w.id WHERE p.id = w.id AND l.stock >= w.q RETURNING p.id)"
    " SELECT l.id FROM locked l WHERE l.id NOT IN (SELECT id FROM moved)"
)


async def take_stock(conn: Connection, deltas: dict[uuid.UUID, Decimal]) -> list[uuid.UUID]:
    """stock -= delta for every stocked product, or nothing: returns the products that fall short.

    A negative delta gives stock back (a correction lowering a line). On a non-empty answer the
    caller must roll back, since the other rows have moved.
    """
    if not deltas:
        return []
    ids = list(deltas)
    rows = await conn.fetch(TAKE_STOCK, ids, [deltas[i] for i in ids])
    return [r["id"] for r in rows]
