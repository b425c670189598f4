"""Validated orders and their lines."""

import uuid
from decimal import Decimal

from services.ordering.repository.rows import Line, Order, OrderLine, SavedOrder, many, one
from shared.db import Connection


async def member_order(
    conn: Connection, distribution_id: uuid.UUID, user_id: uuid.UUID
) -> Order | None:
    return one(
        Order,
        await conn.fetchrow(
            "SELECT o.id, o.distribution_id, o.group_id, o.user_id, o.total_cents,"
            " o.payment_method, o.validated_at, o.updated_at FROM orders o"
            " WHERE o.distribution_id = $1 AND o.user_id = $2",
            distribution_id,
            user_id,
        ),
    )


_ORDER = (
    "SELECT o.id, o.distribution_id, o.group_id, o.user_id, o.total_cents,"
    " o.payment_method, o.validated_at, o.updated_at FROM orders o"
    " WHERE o.id = $1 AND o.group_id = $2"
)
_ORDER_FOR_UPDATE = (
    "SELECT o.id, o.distribution_id, o.group_id, o.user_id, o.total_cents,"
    " o.payment_method, o.validated_at, o.updated_at FROM orders o"
    " WHERE o.id = $1 AND o.group_id = $2 FOR UPDATE"
)


async def get_order(
    conn: Connection, group_id: uuid.UUID, order_id: uuid.UUID, *, for_update: bool = False
) -> Order | None:
    """The order of this group; `for_update` locks it until the end of the transaction (a
    coordinator's correction)."""
    return one(
        Order,
        await conn.fetchrow(
            _ORDER_FOR_UPDATE if for_update else _ORDER,
            order_id,
            group_id,
        ),
    )


async def order_lines(conn: Connection, order_ids: list[uuid.UUID]) -> list[OrderLine]:
    """The lines still ordered (quantity > 0) of these orders, by category then name."""
    return many(
        OrderLine,
        await conn.fetch(
            "SELECT l.order_id, l.product_id, l.product_name, l.category, l.unit_label, l.bulk,"
            " l.quantity, l.unit_price_cents, l.line_total_cents FROM order_lines l"
            " WHERE l.order_id = ANY($1::uuid[]) AND l.quantity > 0"
            " ORDER BY l.category, l.product_name",
            order_ids,
        ),
    )


async def every_order_line(conn: Connection, order_id: uuid.UUID) -> list[OrderLine]:
    """Every line of one order, those corrected down to 0 included."""
    return many(
        OrderLine,
        await conn.fetch(
            "SELECT l.order_id, l.product_id, l.product_name, l.category, l.unit_label, l.bulk,"
            " l.quantity, l.unit_price_cents, l.line_total_cents FROM order_lines l"
            " WHERE l.order_id = $1",
            order_id,
        ),
    )


async def validated_quantity(
    conn: Connection, distribution_id: uuid.UUID, user_id: uuid.UUID, product_id: uuid.UUID
) -> Decimal:
    value = await conn.fetchval(
        "SELECT l.quantity FROM orders o JOIN order_lines l ON l.order_id = o.id"
        " WHERE o.distribution_id = $1 AND o.user_id = $2 AND l.product_id = $3",
        distribution_id,
        user_id,
        product_id,
    )
    return Decimal(0) if value is None else Decimal(value)


async def member_orders(
    conn: Connection, group_id: uuid.UUID, user_id: uuid.UUID, limit: int
) -> list[Order]:
    return many(
        Order,
        await conn.fetch(
            "SELECT o.id, o.distribution_id, o.group_id, o.user_id, o.total_cents,"
            " o.payment_method, o.validated_at, o.updated_at FROM orders o"
            " JOIN distributions d ON d.id = o.distribution_id"
            " WHERE o.group_id = $1 AND o.user_id = $2 ORDER BY d.starts_at DESC, o.id LIMIT $3",
            group_id,
            user_id,
            limit,
        ),
    )


async def distribution_orders(conn: Connection, distribution_id: uuid.UUID) -> list[Order]:
    return many(
        Order,
        await conn.fetch(
            "SELECT o.id, o.distribution_id, o.group_id, o.user_id, o.total_cents,"
            " o.payment_method, o.validated_at, o.updated_at FROM orders o"
            " WHERE o.distribution_id = $1 ORDER BY o.validated_at, o.id",
            distribution_id,
        ),
    )


async def update_order_total(conn: Connection, order_id: uuid.UUID, total_cents: int) -> Order:
    order = one(
        Order,
        await conn.fetchrow(
            "UPDATE orders AS o SET total_cents = $2, updated_at = now() WHERE o.id = $1"
            " RETURNING o.id, o.distribution_id, o.group_id, o.user_id, o.total_cents,"
            " o.payment_method, o.validated_at, o.updated_at",
            order_id,
            total_cents,
        ),
    )
    assert order is not None, "the order is locked by this transaction"
    return order


def _line_arrays(lines: list[Line]) -> list[list[object]]:
    """One array per column of `order_lines`, in the order the statements below unnest them."""
    return [
        [ln.product_id for ln in lines],
        [ln.product_name for ln in lines],
        [ln.category for ln in lines],
        [ln.unit_label for ln in lines],
        [ln.bulk for ln in lines],
        [ln.quantity for ln in lines],
        [ln.unit_price_cents for ln in lines],
        [ln.line_total_cents for ln in lines],
    ]


async def upsert_lines(conn: Connection, order_id: uuid.UUID, lines: list[Line]) -> None:
    """Insert or update lines of one order (new quantity, price and total)."""
    await conn.execute(
        "INSERT INTO order_lines (order_id, product_id, product_name, category, unit_label,"
        " bulk, quantity, unit_price_cents, line_total_cents)"
        " SELECT $1, * FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::bool[],"
        " $7::numeric[], $8::int[], $9::int[])"
        " ON CONFLICT (order_id, product_id) DO UPDATE SET quantity = EXCLUDED.quantity,"
        " unit_price_cents = EXCLUDED.unit_price_cents,"
        " line_total_cents = EXCLUDED.line_total_cents",
        order_id,
        *_line_arrays(lines),
    )


# A validation in one statement (see save_validation): the order row ($1..$5), its changed lines
# (arrays $8..$15), the ledger debit (kind $6, amount $7) and the emptied cart. The first
# validation inserts the order row; the next ones find it (same id) and update its total.
_VALIDATION = (
    "WITH saved AS (INSERT INTO orders AS o (id, distribution_id, group_id, user_id, total_cents)"
    " VALUES ($1, $2, $3, $4, $5)"
    " ON CONFLICT (id) DO UPDATE SET total_cents = EXCLUDED.total_cents, updated_at = now()"
    " RETURNING o.id, o.distribution_id, o.group_id, o.user_id,"
    " o.total_cents, o.payment_method, o.validated_at, o.updated_at),"
    " new_lines AS (INSERT INTO order_lines (order_id, product_id, product_name, category,"
    " unit_label, bulk, quantity, unit_price_cents, line_total_cents)"
    " SELECT $1, * FROM unnest($8::uuid[], $9::text[], $10::text[], $11::text[], $12::bool[],"
    " $13::numeric[], $14::int[], $15::int[])"
    " ON CONFLICT (order_id, product_id) DO UPDATE SET quantity = EXCLUDED.quantity,"
    " unit_price_cents = EXCLUDED.unit_price_cents,"
    " line_total_cents = EXCLUDED.line_total_cents),"
    " debit AS (INSERT INTO ledger_entries (entry_id, group_id, user_id, kind, amount_cents,"
    " order_id, distribution_id) VALUES (gen_random_uuid(), $3, $4, $6, $7, $1, $2)),"
    " emptied AS (DELETE FROM cart_lines WHERE distribution_id = $2 AND user_id = $4)"
    " SELECT saved.*, (SELECT coalesce(sum(amount_cents), 0)::int FROM ledger_entries"
    " WHERE kind = 'payment' AND distribution_id = $2 AND user_id = $4) AS paid_cents"
    " FROM saved"
)


async def save_validation(
    conn: Connection,
    *,
    order_id: uuid.UUID,
    created: bool,
    distribution_id: uuid.UUID,
    group_id: uuid.UUID,
    user_id: uuid.UUID,
    total_cents: int,
    debit_cents: int,
    lines: list[Line],
) -> SavedOrder:
    """Order row, its changed lines, the ledger debit and the emptied cart, in one statement;
    the row comes back with what the member has paid for this distribution (`paid_cents`).

    A validation is the hot path of distribution closing: one round trip here instead of four.
    The new lines may reference an order inserted by the same statement (foreign keys are
    checked at the end of the statement).
    """
    saved = one(
        SavedOrder,
        await conn.fetchrow(
            _VALIDATION,
            order_id,
            distribution_id,
            group_id,
            user_id,
            total_cents,
            "order" if created else "order_update",
            -debit_cents,
            *_line_arrays(lines),
        ),
    )
    assert saved is not None, "the order exists (member's lock held) or was just inserted"
    return saved
