"""Use cases: a member's cart for a distribution (« Ma commande »), before validation."""

import uuid
from dataclasses import dataclass
from decimal import Decimal

from services.ordering.distributions import require_distribution
from services.ordering.domain import (
    DistributionState,
    LineLockedError,
    MemberDistribution,
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
from services.ordering.repository.rows import (
    CartChange,
    Distribution,
    Line,
    MemberCart,
    OfferedProduct,
)
from services.ordering.views import Json, line_json
from shared.db import Connection, Database


@dataclass
class _Merged:
    """One product of the merged view: what is validated and what is pending."""

    line: Line
    validated: Decimal
    pending: Decimal


def cart_view(distribution: Distribution, cart: MemberCart) -> Json:
    """The cart answer (« Ma commande »): validated, pending, and both merged by product."""
    state = distribution_state(distribution.opens_at, distribution.closes_at, distribution.db_now)
    order, validated = cart.order, cart.validated
    merged: dict[uuid.UUID, _Merged] = {}
    for ln in validated:
        merged[ln.product_id] = _Merged(ln, ln.quantity, Decimal(0))
    pending_lines: list[Line] = []
    for c in cart.pending:
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


async def _change_start(
    conn: Connection, mine: MemberDistribution, product_id: uuid.UUID
) -> tuple[Distribution, CartChange]:
    """The open distribution and the product, with the member's lock taken (their cart changes
    and validations run one at a time) and their quantities of it read under it."""
    change = await repo.cart_change_start(conn, mine, product_id)
    return require_open(change.distribution), change


def _orderable(product: OfferedProduct | None) -> OfferedProduct:
    if product is None:
        raise product_not_found()
    if not product.active:
        raise not_offered_problem()
    if product.stock is not None and product.stock <= 0:
        raise out_of_stock_problem([product.id])
    return product


async def get_cart(db: Database, mine: MemberDistribution) -> Json:
    async with db.connection() as conn:
        distribution = await require_distribution(conn, mine.group_id, mine.distribution_id)
        return cart_view(distribution, await repo.member_cart(conn, distribution.id, mine.user_id))


async def add_line(
    db: Database, mine: MemberDistribution, product_id: uuid.UUID, raw_quantity: object
) -> Json:
    """Add a quantity to the product's pending line (« Commande »)."""
    async with db.transaction() as conn:
        distribution, change = await _change_start(conn, mine, product_id)
        product = _orderable(change.product)
        quantity = requested_quantity(raw_quantity, product.bulk)
        check_total_quantity(change.validated + change.pending + quantity, product.bulk)
        pending = change.pending + quantity
        return cart_view(distribution, await repo.cart_change_save(conn, mine, product_id, pending))


async def set_line(
    db: Database, mine: MemberDistribution, product_id: uuid.UUID, raw_quantity: object
) -> Json:
    """Set a line's total quantity (validated + pending), never below what is validated."""
    async with db.transaction() as conn:
        distribution, change = await _change_start(conn, mine, product_id)
        if change.product is None:
            raise product_not_found()
        quantity = requested_quantity(raw_quantity, change.product.bulk, within_limit=True)
        try:
            check_member_sets_quantity(change.validated, quantity)
        except LineLockedError:
            raise locked_problem() from None
        if quantity > change.validated:
            _orderable(change.product)
        pending = quantity - change.validated
        return cart_view(distribution, await repo.cart_change_save(conn, mine, product_id, pending))


async def remove_line(db: Database, mine: MemberDistribution, product_id: uuid.UUID) -> Json:
    """Drop the pending quantity; a validated product cannot be removed."""
    async with db.transaction() as conn:
        distribution, change = await _change_start(conn, mine, product_id)
        if change.validated > 0:
            raise locked_problem()
        empty = Decimal(0)
        return cart_view(distribution, await repo.cart_change_save(conn, mine, product_id, empty))
