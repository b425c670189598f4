"""Use case: a coordinator corrects an order (new quantities, a ledger correction, an event)."""

import uuid
from decimal import Decimal

from services.ordering.events import publish
from services.ordering.orders import order_view
from services.ordering.problems import (
    not_offered_problem,
    order_not_found,
    requested_quantity,
)
from services.ordering.repository import catalog as catalog_repo
from services.ordering.repository import ledger as ledger_repo
from services.ordering.repository import orders as repo
from services.ordering.repository.rows import Line
from services.ordering.validation import reserve_stock
from services.ordering.views import Json, order_event_lines
from shared.contracts.ordering import OrderUpdatedV1
from shared.db import Connection, Database
from shared.idempotency import once
from shared.problems import Problem


async def correct_order(
    db: Database,
    group_id: uuid.UUID,
    order_id: uuid.UUID,
    changes: list[tuple[uuid.UUID, object]],
    note: str | None,
    recorded_by: uuid.UUID | None,
    idempotency_key: str | None,
) -> tuple[int, Json]:
    """Set the quantities of some products of an order; once per Idempotency-Key.

    `changes` names each product once (the API refuses a duplicate: `duplicate_product`)."""
    async with db.transaction() as conn:

        async def correct() -> tuple[int, Json]:
            return 200, await _correct(conn, group_id, order_id, changes, note, recorded_by)

        return await once(conn, f"correction:{group_id}:{order_id}", idempotency_key, correct)


def duplicate_product(changes: list[tuple[uuid.UUID, object]]) -> Problem | None:
    """JSON Schema's uniqueItems compares whole lines, not one property: a product named twice
    is a conflict (409), checked before anything else of the request."""
    if len({product_id for product_id, _ in changes}) != len(changes):
        return Problem(
            409, "duplicate-product", "Un produit apparaît deux fois.", "A product appears twice."
        )
    return None


async def _correct(
    conn: Connection,
    group_id: uuid.UUID,
    order_id: uuid.UUID,
    changes: list[tuple[uuid.UUID, object]],
    note: str | None,
    recorded_by: uuid.UUID | None,
) -> Json:
    order = await repo.get_order(conn, group_id, order_id, for_update=True)
    if order is None:
        raise order_not_found()
    existing: dict[uuid.UUID, Line] = {
        ln.product_id: ln for ln in await repo.every_order_line(conn, order_id)
    }
    new_lines: list[Line] = []
    deltas: dict[uuid.UUID, Decimal] = {}
    for product_id, raw in changes:
        before = existing.get(product_id)
        if before is None:
            offered = await catalog_repo.offered_product(conn, order.distribution_id, product_id)
            if offered is None:
                raise not_offered_problem()
            template = Line(
                product_id=product_id,
                product_name=offered.name,
                category=offered.category,
                unit_label=offered.unit_label,
                bulk=offered.bulk,
                quantity=Decimal(0),
                unit_price_cents=offered.price_cents,
                line_total_cents=0,
            )
        else:
            template = before
        quantity = Decimal(0) if raw in ("0", 0) else requested_quantity(raw, template.bulk)
        deltas[product_id] = quantity - template.quantity
        line = template.with_quantity(quantity)
        new_lines.append(line)
        existing[product_id] = line
    if not any(deltas.values()):
        # The quantities it already has (a correction sent twice): nothing to record.
        return await order_view(conn, group_id, order)
    await reserve_stock(conn, {p: d for p, d in deltas.items() if d != 0})
    await repo.upsert_lines(conn, order_id, new_lines)
    total = sum(ln.line_total_cents for ln in existing.values())
    difference = total - order.total_cents
    order = await repo.update_order_total(conn, order_id, total)
    await ledger_repo.add_ledger_entry(
        conn,
        group_id,
        order.user_id,
        "correction",
        -difference,
        order_id=order_id,
        distribution_id=order.distribution_id,
        recorded_by=recorded_by,
        note=note,
    )
    lines = [ln for ln in existing.values() if ln.quantity > 0]
    await publish(
        conn,
        OrderUpdatedV1(
            order_id=order_id,
            distribution_id=order.distribution_id,
            group_id=group_id,
            user_id=order.user_id,
            lines=order_event_lines(lines),
            total_cents=total,
            at=order.updated_at,
            change="coordinator_correction",
        ),
        order_id,
    )
    return await order_view(conn, group_id, order)
