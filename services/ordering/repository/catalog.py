"""Products of a group's catalog and the offer of a distribution."""

import uuid
from dataclasses import dataclass
from decimal import Decimal

from services.ordering.repository.rows import OfferedProduct, Product
from shared.db import Connection
from shared.queries import counted, row_as, rows_as


async def list_products(conn: Connection, group_id: uuid.UUID) -> list[Product]:
    return await rows_as(
        conn,
        Product,
        "SELECT p.id, p.group_id, p.name, p.category, p.unit_label, p.unit_price_cents,"
        " p.bulk, p.stock, p.active FROM products p WHERE p.group_id = $1"
        " ORDER BY p.category, p.name",
        group_id,
    )


async def get_product(
    conn: Connection, group_id: uuid.UUID, product_id: uuid.UUID
) -> Product | None:
    return await row_as(
        conn,
        Product,
        "SELECT p.id, p.group_id, p.name, p.category, p.unit_label, p.unit_price_cents,"
        " p.bulk, p.stock, p.active FROM products p WHERE p.id = $1 AND p.group_id = $2",
        product_id,
        group_id,
    )


async def insert_product(
    conn: Connection,
    product_id: uuid.UUID,
    group_id: uuid.UUID,
    *,
    name: str,
    category: str,
    unit_label: str,
    unit_price_cents: int,
    bulk: bool,
    stock: Decimal | None,
    active: bool,
) -> Product | None:
    """The new product; None when that id exists already (the seed runs again)."""
    return await row_as(
        conn,
        Product,
        "INSERT INTO products AS p (id, group_id, name, category, unit_label,"
        " unit_price_cents, bulk, stock, active)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING"
        " RETURNING p.id, p.group_id, p.name, p.category, p.unit_label, p.unit_price_cents,"
        " p.bulk, p.stock, p.active",
        product_id,
        group_id,
        name,
        category,
        unit_label,
        unit_price_cents,
        bulk,
        stock,
        active,
    )


@dataclass(frozen=True)
class ProductChanges:
    """The fields a coordinator changes; None leaves a field as it is. `stock` is nullable (no
    longer tracked), so whether it changes is said by `set_stock`."""

    name: str | None = None
    category: str | None = None
    unit_label: str | None = None
    unit_price_cents: int | None = None
    bulk: bool | None = None
    active: bool | None = None
    set_stock: bool = False
    stock: Decimal | None = None

    def empty(self) -> bool:
        values = (self.name, self.category, self.unit_label, self.unit_price_cents, self.bulk)
        return all(v is None for v in values) and self.active is None and not self.set_stock


async def update_product(
    conn: Connection, group_id: uuid.UUID, product_id: uuid.UUID, changes: ProductChanges
) -> Product | None:
    if changes.empty():
        return await get_product(conn, group_id, product_id)
    return await row_as(
        conn,
        Product,
        "UPDATE products AS p SET name = coalesce($3::text, p.name),"
        " category = coalesce($4::text, p.category),"
        " unit_label = coalesce($5::text, p.unit_label),"
        " unit_price_cents = coalesce($6::int, p.unit_price_cents),"
        " bulk = coalesce($7::bool, p.bulk), active = coalesce($8::bool, p.active),"
        " stock = CASE WHEN $9::bool THEN $10::numeric ELSE p.stock END,"
        " updated_at = now() WHERE p.id = $1 AND p.group_id = $2"
        " RETURNING p.id, p.group_id, p.name, p.category, p.unit_label, p.unit_price_cents,"
        " p.bulk, p.stock, p.active",
        product_id,
        group_id,
        changes.name,
        changes.category,
        changes.unit_label,
        changes.unit_price_cents,
        changes.bulk,
        changes.active,
        changes.set_stock,
        changes.stock,
    )


async def copy_catalog(conn: Connection, source: uuid.UUID, target: uuid.UUID) -> tuple[int, int]:
    """Copy the products whose name the target lacks; the others are left as they are.

    Copies into one group are serialised (a double click, two replicas): the second copy runs
    after the first has committed and finds every name already there.
    """
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended('catalog-copy:' || $1::text, 0))",
        str(target),
    )
    total = await counted(conn, "SELECT count(*) FROM products WHERE group_id = $1", source)
    copied = await conn.fetch(
        "INSERT INTO products (id, group_id, name, category, unit_label, unit_price_cents, bulk,"
        " stock, active)"
        " SELECT gen_random_uuid(), $2, s.name, s.category, s.unit_label, s.unit_price_cents,"
        " s.bulk, s.stock, s.active FROM products s WHERE s.group_id = $1"
        " AND NOT EXISTS (SELECT 1 FROM products t WHERE t.group_id = $2 AND t.name = s.name)"
        " RETURNING id",
        source,
        target,
    )
    return len(copied), total - len(copied)


async def offer(conn: Connection, distribution_id: uuid.UUID) -> list[OfferedProduct]:
    """The active products offered for a distribution, by category then name."""
    return await rows_as(
        conn,
        OfferedProduct,
        "SELECT p.id, p.group_id, p.name, p.category, p.unit_label, p.unit_price_cents,"
        " p.bulk, p.stock, p.active, dp.price_cents FROM distribution_products dp"
        " JOIN products p ON p.id = dp.product_id"
        " WHERE dp.distribution_id = $1 AND p.active ORDER BY p.category, p.name",
        distribution_id,
    )


async def offered_product(
    conn: Connection, distribution_id: uuid.UUID, product_id: uuid.UUID
) -> OfferedProduct | None:
    """A product offered for a distribution, active or not."""
    return await row_as(
        conn,
        OfferedProduct,
        "SELECT p.id, p.group_id, p.name, p.category, p.unit_label, p.unit_price_cents,"
        " p.bulk, p.stock, p.active, dp.price_cents FROM distribution_products dp"
        " JOIN products p ON p.id = dp.product_id"
        " WHERE dp.distribution_id = $1 AND dp.product_id = $2",
        distribution_id,
        product_id,
    )
