"""Use cases: a member's cart for a distribution (« Ma commande »), before validation."""

import uuid
from dataclasses import dataclass
from decimal import Decimal

from services.ordering.distributions import require_distribution
from services.ordering.domain import (
    DistributionState,
    LineLockedError,
    check_member_sets_quantity,
    distribution_state,
    quantity_text,
)
from services.ordering.problems import (
    check_total_quantity,
    distribution_not_found,
    locked_problem,
    not_offered_problem,
    not_open_problem,
    out_of_stock_problem,
    product_not_found,
    requested_quantity,
)
from services.ordering.repository import carts as repo
from services.ordering.repository import catalog as catalog_repo
from services.ordering.repository import orders as orders_repo
from services.ordering.repository.rows import Distribution, Line, OfferedProduct
from services.ordering.views import Json, line_json
from shared.db import Connection, Database


@dataclass
class _Merged:
    """One product of the merged view: what is validated and what is pending."""

    line: Line
    validated: Decimal
    pending: Decimal


async def cart_view(conn: Connection, distribution: Distribution, user_id: uuid.UUID) -> Json:
    state = distribution_state(distribution.opens_at, distribution.closes_at, distribution.db_now)
    order = await orders_repo.member_order(conn, distribution.id, user_id)
    validated = await orders_repo.order_lines(conn, [order.id]) if order else []
    pending = await repo.cart_lines(conn, distribution.id, user_id)
    merged: dict[uuid.UUID, _Merged] = {}
    for ln in validated:
        merged[ln.product_id] = _Merged(ln, ln.quantity, Decimal(0))
    pending_lines: list[Line] = []
    for c in pending:
        entry = merged.get(c.product_id)
        if entry is None:
            price = c.price_cents if c.price_cents is not None else 0
            as_line = c.as_line(price, Decimal(0))
            entry = merged[c.product_id] = _Merged(as_line, Decimal(0), Decimal(0))
        entry.pending = c.quantity
        pending_lines.append(c.as_line(entry.line.unit_price_cents, c.quantity))
    lines = []
    for entry in sorted(merged.values(), key=lambda e: (e.line.category, e.line.product_name)):
        line = line_json(entry.line.with_quantity(entry.validated + entry.pending))
        line["validated_quantity"] = quantity_text(entry.validated)
        line["pending_quantity"] = quantity_text(entry.pending)
        lines.append(line)
    return {
        "distribution_id": str(distribution.id),
        "state": state.value,
        "order_id": str(order.id) if order else None,
        "validated_lines": [line_json(ln) for ln in validated],
        "pending_lines": [line_json(ln) for ln in pending_lines],
        "lines": lines,
        "total_cents": sum(ln["line_total_cents"] for ln in lines),
        "validated_total_cents": order.total_cents if order else 0,
        "has_pending": bool(pending_lines),
    }


def require_open(distribution: Distribution | None) -> Distribution:
    """Refuse unless the distribution exists and is open by the database clock."""
    if distribution is None:
        raise distribution_not_found()
    state = distribution_state(distribution.opens_at, distribution.closes_at, distribution.db_now)
    if state is not DistributionState.OPEN:
        raise not_open_problem(state)
    return distribution


async def _open_distribution(
    conn: Connection, group_id: uuid.UUID, distribution_id: uuid.UUID
) -> Distribution:
    return require_open(await require_distribution(conn, group_id, distribution_id))


async def _orderable_product(
    conn: Connection, distribution_id: uuid.UUID, product_id: uuid.UUID
) -> OfferedProduct:
    product = await catalog_repo.offered_product(conn, distribution_id, product_id)
    if product is None:
        raise product_not_found()
    if not product.active:
        raise not_offered_problem()
    if product.stock is not None and product.stock <= 0:
        raise out_of_stock_problem([product_id])
    return product


async def get_cart(
    db: Database, group_id: uuid.UUID, distribution_id: uuid.UUID, user_id: uuid.UUID
) -> Json:
    async with db.connection() as conn:
        distribution = await require_distribution(conn, group_id, distribution_id)
        return await cart_view(conn, distribution, user_id)


async def add_line(
    db: Database,
    group_id: uuid.UUID,
    distribution_id: uuid.UUID,
    user_id: uuid.UUID,
    product_id: uuid.UUID,
    raw_quantity: object,
) -> Json:
    """Add a quantity to the product's pending line (« Commande »)."""
    async with db.transaction() as conn:
        distribution = await _open_distribution(conn, group_id, distribution_id)
        product = await _orderable_product(conn, distribution_id, product_id)
        quantity = requested_quantity(raw_quantity, product.bulk)
        await repo.lock_member_distribution(conn, distribution_id, user_id)
        validated = await orders_repo.validated_quantity(conn, distribution_id, user_id, product_id)
        pending = await repo.pending_quantity(conn, distribution_id, user_id, product_id)
        check_total_quantity(validated + pending + quantity, product.bulk)
        await repo.add_to_cart(conn, distribution_id, user_id, product_id, quantity)
        return await cart_view(conn, distribution, user_id)


async def set_line(
    db: Database,
    group_id: uuid.UUID,
    distribution_id: uuid.UUID,
    user_id: uuid.UUID,
    product_id: uuid.UUID,
    raw_quantity: object,
) -> Json:
    """Set a line's total quantity (validated + pending), never below what is validated."""
    async with db.transaction() as conn:
        distribution = await _open_distribution(conn, group_id, distribution_id)
        product = await catalog_repo.offered_product(conn, distribution_id, product_id)
        if product is None:
            raise product_not_found()
        quantity = requested_quantity(raw_quantity, product.bulk, within_limit=True)
        await repo.lock_member_distribution(conn, distribution_id, user_id)
        validated = await orders_repo.validated_quantity(conn, distribution_id, user_id, product_id)
        try:
            check_member_sets_quantity(validated, quantity)
        except LineLockedError:
            raise locked_problem() from None
        if quantity > validated:
            await _orderable_product(conn, distribution_id, product_id)
        await repo.set_cart_line(conn, distribution_id, user_id, product_id, quantity - validated)
        return await cart_view(conn, distribution, user_id)


async def remove_line(
    db: Database,
    group_id: uuid.UUID,
    distribution_id: uuid.UUID,
    user_id: uuid.UUID,
    product_id: uuid.UUID,
) -> Json:
    """Drop the pending quantity; a validated product cannot be removed."""
    async with db.transaction() as conn:
        distribution = await _open_distribution(conn, group_id, distribution_id)
        await repo.lock_member_distribution(conn, distribution_id, user_id)
        validated = await orders_repo.validated_quantity(conn, distribution_id, user_id, product_id)
        if validated > 0:
            raise locked_problem()
        await repo.delete_cart_line(conn, distribution_id, user_id, product_id)
        return await cart_view(conn, distribution, user_id)
