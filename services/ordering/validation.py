"""Use case: validating a member's cart into their order (« Paiement sur place »).

Two calls to Postgres between BEGIN and COMMIT (repository/validation.py): one reads under the
member's lock, one writes everything and takes the stock last (« le stock ne passe jamais sous
zéro »); the answer and the event are built here in between, from what the first call read."""

import uuid
from decimal import Decimal

from services.ordering.cart import require_open
from services.ordering.domain import MemberDistribution
from services.ordering.events import outbox_row
from services.ordering.orders import order_with_distribution
from services.ordering.problems import (
    check_total_quantity,
    not_offered_problem,
    out_of_stock_problem,
)
from services.ordering.repository import stock as stock_repo
from services.ordering.repository import validation as repo
from services.ordering.repository.rows import (
    Distribution,
    KeptAnswer,
    Line,
    MemberCart,
    Order,
)
from services.ordering.views import Json, order_event
from shared.db import Connection, Database
from shared.idempotency import kept_answer
from shared.problems import Problem


async def reserve_stock(conn: Connection, wanted: dict[uuid.UUID, Decimal]) -> None:
    """Take the quantities of the stocked products, or refuse all of it (409 out-of-stock)."""
    short = await stock_repo.take_stock(conn, wanted)
    if short:
        raise out_of_stock_problem(short)


async def validate_order(
    db: Database, mine: MemberDistribution, idempotency_key: str | None
) -> tuple[int, Json]:
    """Validate the member's cart, once per Idempotency-Key: a replay answers the first answer.

    Returns (201, order) when the order is created, (200, order) when it grew or was unchanged.
    """
    scope = f"validate:{mine.group_id}:{mine.distribution_id}:{mine.user_id}"
    async with db.transaction() as conn:
        start = await repo.validation_start(conn, scope, idempotency_key, mine)
        if not start.claimed:
            return kept_answer(start.kept_status, start.kept_response)
        distribution = require_open(start.distribution)
        assert start.cart is not None, "read with the distribution"
        kept = None if idempotency_key is None else (scope, idempotency_key)
        return await _validate(conn, mine, distribution, start.cart, kept)


async def _validate(
    conn: Connection,
    mine: MemberDistribution,
    distribution: Distribution,
    cart: MemberCart,
    idempotency: tuple[str, str] | None,
) -> tuple[int, Json]:
    """Merge the member's pending lines into their order: reserve stock, debit, emit an event.

    Stock rows are locked (in product-id order: no deadlocks) by the last statement of the
    transaction, so the hot rows are held for as short a time as possible (the answer is
    remembered for the Idempotency-Key before); the conditional UPDATE never lets stock go
    negative, and a shortfall rolls the whole validation back.
    """
    pending, order, existing = cart.pending, cart.order, cart.validated
    if not pending:
        if order is None:
            # The request is well formed; the cart's current state refuses it: a conflict.
            raise Problem(
                409,
                "cart-empty",
                "Votre panier est vide : ajoutez un produit.",
                "Your cart is empty: add a product first.",
            )
        return 200, order_with_distribution(order, list(existing), cart.paid_cents, distribution)
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
    # The order as the save writes it: now() is the transaction's start, the same in every
    # statement, so its times are known before the write (`db_now`, read by the first call).
    saved = Order(
        id=uuid.uuid4() if order is None else order.id,
        distribution_id=mine.distribution_id,
        group_id=mine.group_id,
        user_id=mine.user_id,
        total_cents=total,
        payment_method="on_site" if order is None else order.payment_method,  # column default
        validated_at=distribution.db_now if order is None else order.validated_at,
        updated_at=distribution.db_now,
    )
    created = order is None
    status = 201 if created else 200
    answer = order_with_distribution(saved, lines, cart.paid_cents, distribution)
    short = await repo.validation_save(
        conn,
        saved,
        created=created,
        debit_cents=total - (0 if order is None else order.total_cents),
        lines=changed,
        event=outbox_row(order_event(saved, lines, None if created else "member_added"), saved.id),
        kept=None if idempotency is None else KeptAnswer(*idempotency, status, answer),
        stock={ln.product_id: ln.quantity for ln in pending},
    )
    if short:
        raise out_of_stock_problem(short)
    return status, answer
