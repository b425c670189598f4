"""What the coordinators' and the association's reports read."""

import uuid
from datetime import datetime

from services.ordering.repository.rows import GroupPurchase, ProductSale
from shared.db import Connection
from shared.queries import rows_as


async def product_sales(conn: Connection, distribution_id: uuid.UUID) -> list[ProductSale]:
    """Every ordered line of a distribution, by category, product, then order of validation."""
    return await rows_as(
        conn,
        ProductSale,
        "SELECT l.product_id, l.product_name, l.category, l.unit_label, l.bulk, l.quantity,"
        " l.line_total_cents, o.id AS order_id, o.user_id FROM order_lines l"
        " JOIN orders o ON o.id = l.order_id WHERE o.distribution_id = $1 AND l.quantity > 0"
        " ORDER BY l.category, l.product_name, o.validated_at",
        distribution_id,
    )


async def purchases_by_group(
    conn: Connection, begin: datetime, finish: datetime
) -> list[GroupPurchase]:
    """Ordered quantities per product and group, for distributions starting in [begin, finish)."""
    return await rows_as(
        conn,
        GroupPurchase,
        "SELECT l.product_name, l.unit_label, l.bulk, o.group_id, sum(l.quantity) AS quantity,"
        " sum(l.line_total_cents)::int AS total_cents FROM order_lines l"
        " JOIN orders o ON o.id = l.order_id JOIN distributions d ON d.id = o.distribution_id"
        " WHERE d.starts_at >= $1 AND d.starts_at < $2 AND l.quantity > 0"
        " GROUP BY l.product_name, l.unit_label, l.bulk, o.group_id"
        " ORDER BY l.product_name, l.unit_label, o.group_id",
        begin,
        finish,
    )
