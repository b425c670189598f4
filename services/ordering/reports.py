"""Use cases: coordinator reports (by member, by product, purchase order, day sheet), the
association's purchase order, and their CSV (the PDF of an order is in pdf.py)."""

import csv
import io
import re
import uuid
from collections.abc import Hashable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from services.ordering.distributions import require_distribution
from services.ordering.domain import euros, quantity_text
from services.ordering.models import DateRange
from services.ordering.orders import orders_view
from services.ordering.repository import orders as orders_repo
from services.ordering.repository import reports as repo
from services.ordering.views import Json, distribution_json
from shared.db import Connection, Database

PARIS = ZoneInfo("Europe/Paris")


def _tally(
    summed: dict[Hashable, Json],
    key: Hashable,
    head: Json,
    quantity: Decimal,
    cents: int,
    part: tuple[str, Json],
) -> None:
    """Add one row to the line of its key (made from `head` the first time, at zero): its
    quantity, its amount, and its part of the line (an order, a group) to the line's list."""
    name, detail = part
    line = summed.setdefault(key, {**head, "quantity": Decimal(0), "total_cents": 0, name: []})
    line["quantity"] += quantity
    line["total_cents"] += cents
    line[name].append(detail)


def _totals(summed: dict[Hashable, Json]) -> list[Json]:
    """The tallied lines in the order they came, their quantity as text."""
    return [{**line, "quantity": quantity_text(line["quantity"])} for line in summed.values()]


async def _by_product(conn: Connection, distribution_id: uuid.UUID) -> list[Json]:
    products: dict[Hashable, Json] = {}
    for r in await repo.product_sales(conn, distribution_id):
        product = {
            "product_id": str(r.product_id),
            "product_name": r.product_name,
            "category": r.category,
            "unit_label": r.unit_label,
            "bulk": r.bulk,
        }
        order = {
            "user_id": str(r.user_id),
            "order_id": str(r.order_id),
            "quantity": quantity_text(r.quantity),
        }
        _tally(products, r.product_id, product, r.quantity, r.line_total_cents, ("orders", order))
    return _totals(products)


def purchase_lines(products: list[Json]) -> list[Json]:
    return [
        {
            k: p[k]
            for k in (
                "product_id",
                "product_name",
                "category",
                "unit_label",
                "bulk",
                "quantity",
                "total_cents",
            )
        }
        for p in products
    ]


async def distribution_orders(
    db: Database, group_id: uuid.UUID, distribution_id: uuid.UUID
) -> list[Json]:
    """The orders of a distribution, in order of validation (user ids: names are in accounts)."""
    async with db.connection() as conn:
        row = await require_distribution(conn, group_id, distribution_id)
        return await orders_view(conn, await orders_repo.distribution_orders(conn, row.id))


async def by_product(db: Database, group_id: uuid.UUID, distribution_id: uuid.UUID) -> list[Json]:
    async with db.connection() as conn:
        row = await require_distribution(conn, group_id, distribution_id)
        return await _by_product(conn, row.id)


async def purchase_order(db: Database, group_id: uuid.UUID, distribution_id: uuid.UUID) -> Json:
    """Total quantity per product for a distribution."""
    async with db.connection() as conn:
        row = await require_distribution(conn, group_id, distribution_id)
        lines = purchase_lines(await _by_product(conn, row.id))
    return {
        "distribution": distribution_json(row),
        "lines": lines,
        "total_cents": sum(ln["total_cents"] for ln in lines),
    }


async def day_sheet(db: Database, group_id: uuid.UUID, distribution_id: uuid.UUID) -> Json:
    """Distribution-day sheet: member, items, amount due, paid."""
    async with db.connection() as conn:
        row = await require_distribution(conn, group_id, distribution_id)
        orders = await orders_view(conn, await orders_repo.distribution_orders(conn, row.id))
    rows = [
        {
            "user_id": o["user_id"],
            "order_id": o["order_id"],
            "items": o["lines"],
            "amount_due_cents": o["total_cents"] - o["paid_cents"],
            "total_cents": o["total_cents"],
            "paid_cents": o["paid_cents"],
            "paid": o["paid"],
        }
        for o in orders
    ]
    return {"distribution": distribution_json(row), "rows": rows}


async def _purchases_all_groups(conn: Connection, start: date, end: date) -> list[Json]:
    begin = datetime.combine(start, time.min, PARIS)
    finish = datetime.combine(end + timedelta(days=1), time.min, PARIS)
    lines: dict[Hashable, Json] = {}
    for r in await repo.purchases_by_group(conn, begin, finish):
        product = {"product_name": r.product_name, "unit_label": r.unit_label, "bulk": r.bulk}
        group = {"group_id": str(r.group_id), "quantity": quantity_text(r.quantity)}
        key = (r.product_name, r.unit_label, r.bulk)
        _tally(lines, key, product, r.quantity, r.total_cents, ("groups", group))
    return _totals(lines)


async def association_purchase_order(db: Database, found: DateRange) -> Json:
    """Purchase order across all groups, distributions starting from `from` to `to` included
    (Paris days); a `to` before `from` is an empty range."""
    lines: list[Json] = []
    if found.to >= found.from_:
        # The report's query ends at midnight after `to`: 9999-12-31 has none.
        last = min(found.to, date.max - timedelta(days=1))
        async with db.connection() as conn:
            lines = await _purchases_all_groups(conn, found.from_, last)
    return {
        "from": found.from_.isoformat(),
        "to": found.to.isoformat(),
        "lines": lines,
        "total_cents": sum(ln["total_cents"] for ln in lines),
    }


# --- CSV -----------------------------------------------------------------------------------------


def to_csv(header: list[str], rows: list[list[Any]]) -> str:
    """Semicolon-separated (what French spreadsheets open directly), amounts in euros."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralise_formula(v) for v in row])
    return buffer.getvalue()


# A spreadsheet runs a cell as a formula when it starts with one of these, also after leading
# whitespace (LibreOffice and Excel skip it); TAB and CR are on OWASP's list as well.
FORMULA_STARTS = ("=", "+", "-", "@")
_PLAIN_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")


def neutralise_formula(value: Any) -> Any:
    """CSV injection: a text cell a spreadsheet would run as a formula gets a leading `'`.

    Numbers we write ourselves ("-1,53") stay numbers; anything else starting with = + - @,
    TAB or CR, or with whitespace before = + - @, is prefixed.
    """
    if not isinstance(value, str) or _PLAIN_NUMBER.fullmatch(value):
        return value
    if value[:1] in ("\t", "\r", "\n") or value.lstrip()[:1] in FORMULA_STARTS:
        return "'" + value
    return value


def cents_text(cents: int) -> str:
    return euros(cents).removesuffix(" €")


def orders_csv(orders: list[Json]) -> str:
    rows = [
        [
            o["user_id"],
            o["order_id"],
            ln["product_name"],
            ln["unit_label"],
            ln["quantity"].replace(".", ","),
            cents_text(ln["unit_price_cents"]),
            cents_text(ln["line_total_cents"]),
            cents_text(o["total_cents"]),
            "Payé" if o["paid"] else "Non payé",
        ]
        for o in orders
        for ln in o["lines"]
    ]
    return to_csv(
        [
            "user_id",
            "order_id",
            "Produit",
            "Unité",
            "Qté",
            "P.U",
            "Sous-total",
            "Total commande",
            "Payé",
        ],
        rows,
    )


def purchase_csv(lines: list[Json]) -> str:
    rows = [
        [
            ln["product_name"],
            ln["unit_label"],
            ln["quantity"].replace(".", ","),
            cents_text(ln["total_cents"]),
        ]
        for ln in lines
    ]
    return to_csv(["Produit", "Unité", "Quantité totale", "Montant"], rows)


def sheet_csv(rows: list[Json]) -> str:
    out = [
        [
            r["user_id"],
            r["order_id"],
            " | ".join(
                f"{i['quantity'].replace('.', ',')} x {i['product_name']}" for i in r["items"]
            ),
            cents_text(r["total_cents"]),
            cents_text(r["paid_cents"]),
            cents_text(r["amount_due_cents"]),
            "Payé" if r["paid"] else "",
        ]
        for r in rows
    ]
    return to_csv(
        ["user_id", "order_id", "Produits", "Total", "Déjà payé", "Reste dû", "Payé"], out
    )
