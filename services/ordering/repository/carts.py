"""Pending cart lines of a member for a distribution, and the member's lock."""

import uuid
from decimal import Decimal

from services.ordering.repository.orders import member_order
from services.ordering.repository.rows import CartLine, Order, many
from shared.db import Connection


async def lock_member_distribution(
    conn: Connection, distribution_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    """Serialise a member's writes on one distribution (validate, cart changes).

    The same lock as `distributions.lock_member_and_get_distribution` takes."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($1::text || $2::text, 0))",
        str(distribution_id),
        str(user_id),
    )


async def cart_with_order(
    conn: Connection, distribution_id: uuid.UUID, user_id: uuid.UUID
) -> tuple[list[CartLine], Order | None]:
    """The pending lines (as `cart_lines`) and the member's order, in one round trip when the
    cart is not empty (the validation path); the order alone otherwise."""
    records = await conn.fetch(
        "SELECT c.product_id, c.quantity, p.name, p.category, p.unit_label, p.bulk, p.active,"
        " p.stock, dp.price_cents, o.id AS order_id FROM cart_lines c"
        " JOIN products p ON p.id = c.product_id"
        " LEFT JOIN distribution_products dp ON dp.distribution_id = c.distribution_id"
        " AND dp.product_id = c.product_id"
        " LEFT JOIN orders o ON o.distribution_id = c.distribution_id AND o.user_id = c.user_id"
        " WHERE c.distribution_id = $1 AND c.user_id = $2 ORDER BY p.category, p.name",
        distribution_id,
        user_id,
    )
    lines = [CartLine(**{k: v for k, v in r.items() if k != "order_id"}) for r in records]
    if records and records[0]["order_id"] is None:
        return lines, None
    return lines, await member_order(conn, distribution_id, user_id)


async def cart_lines(
    conn: Connection, distribution_id: uuid.UUID, user_id: uuid.UUID
) -> list[CartLine]:
    """Pending lines with what validation needs (price for this distribution, active flag)."""
    return many(
        CartLine,
        await conn.fetch(
            "SELECT c.product_id, c.quantity, p.name, p.category, p.unit_label, p.bulk, p.active,"
            " p.stock, dp.price_cents FROM cart_lines c JOIN products p ON p.id = c.product_id"
            " LEFT JOIN distribution_products dp ON dp.distribution_id = c.distribution_id"
            " AND dp.product_id = c.product_id"
            " WHERE c.distribution_id = $1 AND c.user_id = $2 ORDER BY p.category, p.name",
            distribution_id,
            user_id,
        ),
    )


async def pending_quantity(
    conn: Connection, distribution_id: uuid.UUID, user_id: uuid.UUID, product_id: uuid.UUID
) -> Decimal:
    value = await conn.fetchval(
        "SELECT quantity FROM cart_lines WHERE distribution_id = $1 AND user_id = $2"
        " AND product_id = $3",
        distribution_id,
        user_id,
        product_id,
    )
    return Decimal(0) if value is None else Decimal(value)


async def add_to_cart(
    conn: Connection,
    distribution_id: uuid.UUID,
    user_id: uuid.UUID,
    product_id: uuid.UUID,
    quantity: Decimal,
) -> None:
    await conn.execute(
        "INSERT INTO cart_lines (distribution_id, user_id, product_id, quantity)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT (distribution_id, user_id, product_id)"
        " DO UPDATE SET quantity = cart_lines.quantity + EXCLUDED.quantity, updated_at = now()",
        distribution_id,
        user_id,
        product_id,
        quantity,
    )


async def set_cart_line(
    conn: Connection,
    distribution_id: uuid.UUID,
    user_id: uuid.UUID,
    product_id: uuid.UUID,
    quantity: Decimal,
) -> None:
    if quantity <= 0:
        await delete_cart_line(conn, distribution_id, user_id, product_id)
        return
    await conn.execute(
        "INSERT INTO cart_lines (distribution_id, user_id, product_id, quantity)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT (distribution_id, user_id, product_id)"
        " DO UPDATE SET quantity = EXCLUDED.quantity, updated_at = now()",
        distribution_id,
        user_id,
        product_id,
        quantity,
    )


async def delete_cart_line(
    conn: Connection, distribution_id: uuid.UUID, user_id: uuid.UUID, product_id: uuid.UUID
) -> None:
    await conn.execute(
        "DELETE FROM cart_lines WHERE distribution_id = $1 AND user_id = $2 AND product_id = $3",
        distribution_id,
        user_id,
        product_id,
    )
