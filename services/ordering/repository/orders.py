"""Validated orders and their lines."""

from decimal import Decimal
from uuid import UUID

from services.ordering.repository.rows import Line, Order, OrderLine
from shared.db import Connection
from shared.queries import row_as, rows_as


async def member_order(conn: Connection, distribution_id: UUID, user_id: UUID) -> Order | None:
    return await row_as(
        conn,
        Order,
        "SELECT o.id, o.distribution_id, o.group_id, o.user_id, o.total_cents,"
        " o.payment_method, o.validated_at, o.updated_at FROM orders o"
        " WHERE o.distribution_id = $1 AND o.user_id = $2",
        distribution_id,
        user_id,
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
    conn: Connection, group_id: UUID, order_id: UUID, *, for_update: bool = False
) -> Order | None:
    """The order of this group; `for_update` locks it until the end of the transaction (a
    coordinator's correction)."""
    return await row_as(
        conn,
        Order,
        _ORDER_FOR_UPDATE if for_update else _ORDER,
        order_id,
        group_id,
    )


async def order_lines(conn: Connection, order_ids: list[UUID]) -> list[OrderLine]:
    """The lines still ordered (quantity > 0) of these orders, by category then name."""
    return await rows_as(
        conn,
        OrderLine,
        "SELECT l.order_id, l.product_id, l.product_name, l.category, l.unit_label, l.bulk,"
        " l.quantity, l.unit_price_cents, l.line_total_cents FROM order_lines l"
        " WHERE l.order_id = ANY($1::uuid[]) AND l.quantity > 0"
        " ORDER BY l.category, l.product_name",
        order_ids,
    )


async def every_order_line(conn: Connection, order_id: UUID) -> list[OrderLine]:
    """Every line of one order, those corrected down to 0 included."""
    return await rows_as(
        conn,
        OrderLine,
        "SELECT l.order_id, l.product_id, l.product_name, l.category, l.unit_label, l.bulk,"
        " l.quantity, l.unit_price_cents, l.line_total_cents FROM order_lines l"
        " WHERE l.order_id = $1",
        order_id,
    )


async def member_orders(conn: Connection, group_id: UUID, user_id: UUID, limit: int) -> list[Order]:
    return await rows_as(
        conn,
        Order,
        "SELECT o.id, o.distribution_id, o.group_id, o.user_id, o.total_cents,"
        " o.payment_method, o.validated_at, o.updated_at FROM orders o"
        " JOIN distributions d ON d.id = o.distribution_id"
        " WHERE o.group_id = $1 AND o.user_id = $2 ORDER BY d.starts_at DESC, o.id LIMIT $3",
        group_id,
        user_id,
        limit,
    )


async def distribution_orders(conn: Connection, distribution_id: UUID) -> list[Order]:
    return await rows_as(
        conn,
        Order,
        "SELECT o.id, o.distribution_id, o.group_id, o.user_id, o.total_cents,"
        " o.payment_method, o.validated_at, o.updated_at FROM orders o"
        " WHERE o.distribution_id = $1 ORDER BY o.validated_at, o.id",
        distribution_id,
    )


async def update_order_total(conn: Connection, order_id: UUID, total_cents: int) -> Order:
    order = await row_as(
        conn,
        Order,
        "UPDATE orders AS o SET total_cents = $2, updated_at = now() WHERE o.id = $1"
        " RETURNING o.id, o.distribution_id, o.group_id, o.user_id, o.total_cents,"
        " o.payment_method, o.validated_at, o.updated_at",
        order_id,
        total_cents,
    )
    assert order is not None, "the order is locked by this transaction"
    return order


LineRow = tuple[UUID, UUID, str, str, str, bool, Decimal, int, int]


def line_rows(order_id: UUID, lines: list[Line]) -> list[LineRow]:
    """Lines of one order as rows of type `order_lines`, columns in the table's order (a
    statement takes them as `$n::order_lines[]`). A tuple each, written out: dataclasses.astuple
    deep-copies every value, on the hot path of validation."""
    return [
        (
            order_id,
            line.product_id,
            line.product_name,
            line.category,
            line.unit_label,
            line.bulk,
            line.quantity,
            line.unit_price_cents,
            line.line_total_cents,
        )
        for line in lines
    ]


async def upsert_lines(conn: Connection, order_id: UUID, lines: list[Line]) -> None:
    """Insert or update lines of one order (new quantity, price and total)."""
    await conn.execute(
        "INSERT INTO order_lines SELECT * FROM unnest($1::order_lines[])"
        " ON CONFLICT (order_id, product_id) DO UPDATE SET quantity = EXCLUDED.quantity,"
        " unit_price_cents = EXCLUDED.unit_price_cents,"
        " line_total_cents = EXCLUDED.line_total_cents",
        line_rows(order_id, lines),
    )
