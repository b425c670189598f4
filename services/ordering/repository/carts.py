"""What a member holds for a distribution, and their cart changes: each change is two calls of
SQL functions (migrations/0002_one_round_trip_use_cases.sql), one to read under the member's
lock, one to write and read the cart back."""

import uuid
from decimal import Decimal

from services.ordering.domain import MemberDistribution
from services.ordering.repository.rows import (
    CartChange,
    CartLine,
    Distribution,
    MemberCart,
    OfferedProduct,
    Order,
    OrderLine,
    Product,
)
from shared.db import Connection, Record

PRODUCT_COLUMNS = tuple(Product.__dataclass_fields__)


def distribution_of(value: Record | None) -> Distribution | None:
    """A `group_distribution` composite (NULL, or all fields NULL: not this group's)."""
    if value is None or value["id"] is None:
        return None
    return Distribution.from_columns(value)


def member_cart_of(value: Record) -> MemberCart:
    """A `member_cart` composite (decoded by asyncpg as nested records) as a MemberCart."""
    order = value["member_order"]
    return MemberCart(
        pending=[CartLine(**dict(line)) for line in value["pending"]],
        order=None if order is None else Order(**dict(order)),
        validated=[OrderLine(**dict(line)) for line in value["validated"]],
        paid_cents=value["paid_cents"],
    )


async def member_cart(
    conn: Connection, distribution_id: uuid.UUID, user_id: uuid.UUID
) -> MemberCart:
    """The pending lines, the order, its lines and what was paid: one round trip."""
    value = await conn.fetchval("SELECT member_cart($1, $2)", distribution_id, user_id)
    return member_cart_of(value)


async def cart_change_start(
    conn: Connection, mine: MemberDistribution, product_id: uuid.UUID
) -> CartChange:
    """Distribution, offered product, then the member's lock and their quantities of it."""
    row = await conn.fetchrow(
        "SELECT * FROM cart_change_start($1, $2, $3, $4)",
        mine.group_id,
        mine.distribution_id,
        mine.user_id,
        product_id,
    )
    assert row is not None, "a function with OUT parameters answers one row"
    distribution = distribution_of(row["distribution"])
    if distribution is None:
        return CartChange(None, None, Decimal(0), Decimal(0))
    product = row["product"]
    offered = (
        None
        if product is None
        else OfferedProduct(
            **{name: product[name] for name in PRODUCT_COLUMNS}, price_cents=row["price_cents"]
        )
    )
    return CartChange(distribution, offered, row["validated"], row["pending"])


async def cart_change_save(
    conn: Connection, mine: MemberDistribution, product_id: uuid.UUID, pending: Decimal
) -> MemberCart:
    """The product's pending quantity becomes `pending` (0 or less: the line is dropped); what
    the member holds afterwards."""
    value = await conn.fetchval(
        "SELECT cart_change_save($1, $2, $3, $4)",
        mine.distribution_id,
        mine.user_id,
        product_id,
        pending,
    )
    return member_cart_of(value)
