"""Every ordering row that names one person (the member's download, GDPR Art. 15/20).

Looked up by user id, never by membership: a group the member has left keeps its orders, its
ledger and a cart line still held. The rows are the pydantic models of the download itself."""

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel

from services.ordering.repository.rows import Line
from shared.db import Connection
from shared.personal_export import PersonalDataExport
from shared.queries import rows_as
from shared.revocations import EndedMembership, memberships_ended


class ExportedOrder(BaseModel):
    order_id: uuid.UUID
    group_id: uuid.UUID
    distribution_id: uuid.UUID
    distribution_starts_at: datetime
    place_name: str
    total_cents: int
    payment_method: str
    validated_at: datetime
    updated_at: datetime
    lines: list[Line]  # as the order holds them (repository/rows.py)


class ExportedCartLine(BaseModel):
    """A quantity put in the basket and not validated (yet)."""

    group_id: uuid.UUID
    distribution_id: uuid.UUID
    distribution_starts_at: datetime
    product_id: uuid.UUID
    product_name: str
    unit_label: str
    quantity: Decimal
    updated_at: datetime


class ExportedLedgerEntry(BaseModel):
    entry_id: uuid.UUID
    group_id: uuid.UUID
    kind: str
    amount_cents: int
    method: str | None
    order_id: uuid.UUID | None
    distribution_id: uuid.UUID | None
    note: str | None
    created_at: datetime


class ExportedDistribution(BaseModel):
    """A distribution the person scheduled (as a coordinator)."""

    distribution_id: uuid.UUID
    group_id: uuid.UUID
    starts_at: datetime
    place_name: str
    created_at: datetime


class OrderingExport(PersonalDataExport):
    service: Literal["ordering"] = "ordering"
    orders: list[ExportedOrder]
    cart_lines: list[ExportedCartLine]
    ledger: list[ExportedLedgerEntry]
    distributions_created: list[ExportedDistribution]
    memberships_ended: list[EndedMembership]


async def _orders(conn: Connection, user_id: uuid.UUID) -> list[ExportedOrder]:
    rows = await conn.fetch(
        "SELECT o.id AS order_id, o.group_id, o.distribution_id,"
        " d.starts_at AS distribution_starts_at, d.place_name, o.total_cents,"
        " o.payment_method, o.validated_at, o.updated_at"
        " FROM orders o JOIN distributions d ON d.id = o.distribution_id"
        " WHERE o.user_id = $1 ORDER BY d.starts_at, o.id",
        user_id,
    )
    lines = await conn.fetch(
        "SELECT l.order_id, l.product_id, l.product_name, l.category, l.unit_label, l.bulk,"
        " l.quantity, l.unit_price_cents, l.line_total_cents"
        " FROM order_lines l JOIN orders o ON o.id = l.order_id"
        " WHERE o.user_id = $1 ORDER BY l.category, l.product_name",
        user_id,
    )
    by_order: dict[uuid.UUID, list[Line]] = {}
    for line in lines:
        values = dict(line)
        by_order.setdefault(values.pop("order_id"), []).append(Line(**values))
    return [ExportedOrder(**dict(r), lines=by_order.get(r["order_id"], [])) for r in rows]


async def export_queries(conn: Connection, user_id: uuid.UUID) -> OrderingExport:
    """The person's rows of every ordering table that names them."""
    orders = await _orders(conn, user_id)
    cart = await rows_as(
        conn,
        ExportedCartLine,
        "SELECT d.group_id, c.distribution_id, d.starts_at AS distribution_starts_at,"
        " c.product_id, p.name AS product_name, p.unit_label, c.quantity, c.updated_at"
        " FROM cart_lines c JOIN distributions d ON d.id = c.distribution_id"
        " JOIN products p ON p.id = c.product_id"
        " WHERE c.user_id = $1 ORDER BY d.starts_at, p.name",
        user_id,
    )
    # recorded_by (the coordinator who entered a payment) is another person: left out.
    ledger = await rows_as(
        conn,
        ExportedLedgerEntry,
        "SELECT entry_id, group_id, kind, amount_cents, method, order_id, distribution_id,"
        " note, created_at FROM ledger_entries WHERE user_id = $1 ORDER BY id",
        user_id,
    )
    created = await rows_as(
        conn,
        ExportedDistribution,
        "SELECT id AS distribution_id, group_id, starts_at, place_name, created_at"
        " FROM distributions WHERE created_by = $1 ORDER BY starts_at",
        user_id,
    )
    ended = await memberships_ended(conn, user_id)
    groups = {o.group_id for o in orders} | {e.group_id for e in ended}
    groups |= {r.group_id for rows in (cart, ledger, created) for r in rows}
    return OrderingExport(
        user_id=user_id,
        group_ids=sorted(groups, key=str),
        orders=orders,
        cart_lines=cart,
        ledger=ledger,
        distributions_created=created,
        memberships_ended=ended,
    )
