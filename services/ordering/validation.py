"""Use case: validating a member's cart into their order (« Paiement sur place »).

Stock is taken by `repository.stock.take_stock` (« le stock ne passe jamais sous zéro »), the
last statement of the transaction."""

import uuid
from decimal import Decimal

from services.ordering.cart import require_open
from services.ordering.events import publish
from services.ordering.orders import order_answer, order_with_distribution
from services.ordering.problems import (
    check_total_quantity,
    not_offered_problem,
    out_of_stock_problem,
)
from services.ordering.repository import carts as carts_repo
from services.ordering.repository import distributions as distributions_repo
from services.ordering.repository import orders as repo
from services.ordering.repository import stock as stock_repo
from services.ordering.repository.rows import Line
from services.ordering.views import Json, order_event_lines
from shared.contracts.ordering import OrderUpdatedV1, OrderV1, OrderValidatedV1
from shared.db import Connection, Database
from shared.idempotency import claim, remember
from shared.problems import Problem


async def reserve_stock(conn: Connection, wanted: dict[uuid.UUID, Decimal]) -> None:
    """Take the quantities of the stocked products, or refuse all of it (409 out-of-stock)."""
    short = await stock_repo.take_stock(conn, wanted)
    if short:
        raise out_of_stock_problem(short)


async def validate_order(
    db: Database,
    group_id: uuid.UUID,
    distribution_id: uuid.UUID,
    user_id: uuid.UUID,
    idempotency_key: str | None,
) -> tuple[int, Json]:
    """Validate the member's cart, once per Idempotency-Key: a replay answers the first answer.

    Returns (201, order) when the order is created, (200, order) when it grew or was unchanged.
    """
    scope = f"validate:{group_id}:{distribution_id}:{user_id}"
    async with db.transaction() as conn:
        if idempotency_key is not None:
            prior = await claim(conn, scope, idempotency_key)
            if prior is not None:
                return prior[0], prior[1]
        return await _validate(
            conn,
            group_id,
            distribution_id,
            user_id,
            None if idempotency_key is None else (scope, idempotency_key),
        )


async def _validate(
    conn: Connection,
    group_id: uuid.UUID,
    distribution_id: uuid.UUID,
    user_id: uuid.UUID,
    idempotency: tuple[str, str] | None,
) -> tuple[int, Json]:
    """Merge the member's pending lines into their order: reserve stock, debit, emit an event.

    Stock rows are locked (in product-id order: no deadlocks) by the last statement of the
    transaction, so the hot rows are held for as short a time as possible (the answer is
    remembered for the Idempotency-Key before); the conditional UPDATE never lets stock go
    negative, and a shortfall rolls the whole validation back.
    """
    distribution = require_open(
        await distributions_repo.lock_member_and_get_distribution(
            conn, group_id, distribution_id, user_id
        )
    )
    pending, order = await carts_repo.cart_with_order(conn, distribution_id, user_id)
    existing: list[Line] = list(await repo.order_lines(conn, [order.id])) if order else []
    if not pending:
        if order is None:
            # The request is well formed; the cart's current state refuses it: a conflict.
            raise Problem(
                409,
                "cart-empty",
                "Votre panier est vide : ajoutez un produit.",
                "Your cart is empty: add a product first.",
            )
        return 200, await order_answer(conn, order, existing, distribution)
    if any(ln.price_cents is None or not ln.active for ln in pending):
        raise not_offered_problem()
    by_product: dict[uuid.UUID, Line] = {ln.product_id: ln for ln in existing}
    # Cheap early refusal on the unlocked stock; the locked check comes last (see above).
    short = [ln.product_id for ln in pending if ln.stock is not None and ln.stock < ln.quantity]
    if short:
        raise out_of_stock_problem(short)
    changed: list[Line] = []
    for ln in pending:
        before = by_product.get(ln.product_id)
        quantity = ln.quantity + (before.quantity if before else 0)
        check_total_quantity(quantity, ln.bulk)
        price = before.unit_price_cents if before else ln.price_cents
        assert price is not None, "not offered lines were refused above"
        line = ln.as_line(price, quantity)
        changed.append(line)
        by_product[ln.product_id] = line
    lines = sorted(by_product.values(), key=lambda x: (x.category, x.product_name))
    total = sum(x.line_total_cents for x in lines)
    created = order is None
    previous_total = 0 if order is None else order.total_cents
    saved = await repo.save_validation(
        conn,
        order_id=uuid.uuid4() if order is None else order.id,
        created=created,
        distribution_id=distribution_id,
        group_id=group_id,
        user_id=user_id,
        total_cents=total,
        debit_cents=total - previous_total,
        lines=changed,
    )
    event_lines = order_event_lines(lines)
    event: OrderV1
    if created:
        event = OrderValidatedV1(
            order_id=saved.id,
            distribution_id=distribution_id,
            group_id=group_id,
            user_id=user_id,
            lines=event_lines,
            total_cents=total,
            at=saved.updated_at,
        )
    else:
        event = OrderUpdatedV1(
            order_id=saved.id,
            distribution_id=distribution_id,
            group_id=group_id,
            user_id=user_id,
            lines=event_lines,
            total_cents=total,
            at=saved.updated_at,
            change="member_added",
        )
    await publish(conn, event, saved.id)
    status = 201 if created else 200
    answer = order_with_distribution(saved, lines, saved.paid_cents, distribution)
    if idempotency is not None:
        await remember(conn, idempotency[0], idempotency[1], status, answer)
    await reserve_stock(conn, {ln.product_id: ln.quantity for ln in pending})
    return status, answer
