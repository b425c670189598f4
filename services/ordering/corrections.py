"""Use case: a coordinator corrects an order (new quantities, a ledger correction, an event)."""

import uuid
from dataclasses import dataclass
from decimal import Decimal

from services.ordering.events import publish
from services.ordering.orders import order_view
from services.ordering.problems import (
    not_offered_problem,
    order_not_found,
    product_named_twice,
    requested_quantity,
)
from services.ordering.repository import catalog as catalog_repo
from services.ordering.repository import ledger as ledger_repo
from services.ordering.repository import orders as repo
from services.ordering.repository.rows import Line
from services.ordering.validation import reserve_stock
from services.ordering.views import Json, order_event
from shared.db import Connection, Database
from shared.idempotency import once
from shared.problems import Problem


@dataclass(frozen=True)
class Correction:
    """A coordinator's correction of one order, as asked: the new quantity of some products
    (`changes` names each product once: the API refuses a duplicate first, `duplicate_product`)."""

    group_id: uuid.UUID
    order_id: uuid.UUID
    changes: list[tuple[uuid.UUID, object]]
    note: str | None
    recorded_by: uuid.UUID | None

    def duplicate_product(self) -> Problem | None:
        """JSON Schema's uniqueItems compares whole lines, not one property: a product named
        twice is a conflict (409), checked before anything else of the request."""
        if len({product_id for product_id, _ in self.changes}) != len(self.changes):
            return product_named_twice()
        return None


async def correct_order(
    db: Database, correction: Correction, idempotency_key: str | None
) -> tuple[int, Json]:
    """Set the quantities of some products of an order; once per Idempotency-Key."""
    async with db.transaction() as conn:

        async def correct() -> tuple[int, Json]:
            return 200, await _correct(conn, correction)

        scope = f"correction:{correction.group_id}:{correction.order_id}"
        return await once(conn, scope, idempotency_key, correct)


async def _correct(conn: Connection, correction: Correction) -> Json:
    group_id, order_id = correction.group_id, correction.order_id
    order = await repo.get_order(conn, group_id, order_id, for_update=True)
    if order is None:
        raise order_not_found()
    existing: dict[uuid.UUID, Line] = {
        ln.product_id: ln for ln in await repo.every_order_line(conn, order_id)
    }
    new_lines: list[Line] = []
    deltas: dict[uuid.UUID, Decimal] = {}
    for product_id, raw in correction.changes:
        before = existing.get(product_id)
        if before is None:
            offered = await catalog_repo.offered_product(conn, order.distribution_id, product_id)
            if offered is None:
                raise not_offered_problem()
            template = offered.as_line(Decimal(0))
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
        recorded_by=correction.recorded_by,
        note=correction.note,
    )
    lines = [ln for ln in existing.values() if ln.quantity > 0]
    await publish(conn, order_event(order, lines, "coordinator_correction"), order_id)
    return await order_view(conn, group_id, order)
