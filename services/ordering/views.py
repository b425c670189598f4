"""Rows → the JSON answers of the API (shapes stated by responses.py) and event payloads."""

import uuid
from typing import Any, Literal

from services.ordering.domain import distribution_state, quantity_text
from services.ordering.repository.rows import Distribution, Line, Order, Product
from shared.clients.ordering import LedgerEntry
from shared.contracts.ordering import OrderLineV1, OrderUpdatedV1, OrderV1, OrderValidatedV1

Json = dict[str, Any]
OrderChange = Literal["member_added", "coordinator_correction"]


def my_order_ref(order_id: uuid.UUID, total_cents: int) -> Json:
    return {"order_id": str(order_id), "total_cents": total_cents}


def distribution_json(row: Distribution, my_order: Json | None = None) -> Json:
    """The distribution, its state by the database clock read with it (`db_now`)."""
    return {
        "distribution_id": str(row.id),
        "group_id": str(row.group_id),
        "starts_at": row.starts_at.isoformat(),
        "ends_at": row.ends_at.isoformat(),
        "opens_at": row.opens_at.isoformat(),
        "closes_at": row.closes_at.isoformat(),
        "place_name": row.place_name,
        "place_address": row.place_address,
        "state": distribution_state(row.opens_at, row.closes_at, row.db_now).value,
        "my_order": my_order,
    }


def product_json(row: Product) -> Json:
    stock = row.stock
    return {
        "product_id": str(row.id),
        "group_id": str(row.group_id),
        "name": row.name,
        "category": row.category,
        "unit_label": row.unit_label,
        "unit_price_cents": row.unit_price_cents,
        "bulk": row.bulk,
        "stock": None if stock is None else quantity_text(stock),
        "active": row.active,
        "out_of_stock": stock is not None and stock <= 0,
    }


def line_json(line: Line) -> Json:
    return {
        "product_id": str(line.product_id),
        "product_name": line.product_name,
        "category": line.category,
        "unit_label": line.unit_label,
        "bulk": line.bulk,
        "quantity": quantity_text(line.quantity),
        "unit_price_cents": line.unit_price_cents,
        "line_total_cents": line.line_total_cents,
    }


def order_json(
    order: Order, lines: list[Line], paid_cents: int, distribution: Json | None = None
) -> Json:
    body: Json = {
        "order_id": str(order.id),
        "distribution_id": str(order.distribution_id),
        "group_id": str(order.group_id),
        "user_id": str(order.user_id),
        "lines": [line_json(ln) for ln in lines],
        "total_cents": order.total_cents,
        "fees_cents": 0,
        "payment_method": order.payment_method,
        "validated_at": order.validated_at.isoformat(),
        "updated_at": order.updated_at.isoformat(),
        "paid_cents": paid_cents,
        "paid": paid_cents >= order.total_cents,
    }
    if distribution is not None:
        body["distribution"] = distribution
    return body


def ledger_json(row: LedgerEntry) -> Json:
    return {
        "entry_id": str(row.entry_id),
        "kind": row.kind,
        "amount_cents": row.amount_cents,
        "method": row.method,
        "order_id": str(row.order_id) if row.order_id else None,
        "distribution_id": str(row.distribution_id) if row.distribution_id else None,
        "payment_id": str(row.payment_id) if row.payment_id else None,
        "note": row.note,
        "created_at": row.created_at.isoformat(),
    }


def distribution_event(row: Distribution) -> Json:
    """The fields every distribution event carries (DistributionV1)."""
    return {
        "distribution_id": row.id,
        "group_id": row.group_id,
        "starts_at": row.starts_at,
        "ends_at": row.ends_at,
        "opens_at": row.opens_at,
        "closes_at": row.closes_at,
        "place_name": row.place_name,
        "place_address": row.place_address,
    }


def order_event_lines(lines: list[Line]) -> list[OrderLineV1]:
    return [
        OrderLineV1(
            product_id=ln.product_id,
            product_name=ln.product_name,
            unit_label=ln.unit_label,
            bulk=ln.bulk,
            quantity=quantity_text(ln.quantity),
            unit_price_cents=ln.unit_price_cents,
            line_total_cents=ln.line_total_cents,
        )
        for ln in lines
        if ln.quantity > 0
    ]


def order_event(order: Order, lines: list[Line], change: OrderChange | None) -> OrderV1:
    """The event of an order just saved, with its lines still ordered: its first validation
    (`change` None) or an update saying who changed it."""
    validated = OrderValidatedV1(
        order_id=order.id,
        distribution_id=order.distribution_id,
        group_id=order.group_id,
        user_id=order.user_id,
        lines=order_event_lines(lines),
        total_cents=order.total_cents,
        at=order.updated_at,
    )
    if change is None:
        return validated
    return OrderUpdatedV1(**dict(validated), change=change)
