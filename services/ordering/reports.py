"""Coordinator views (by member, by product, purchase order, day sheet), CSV and PDF output."""

import csv
import io
import re
import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fpdf import FPDF

from services.ordering import handlers
from services.ordering import repository as repo
from services.ordering.domain import euros, quantity_text

PARIS = ZoneInfo("Europe/Paris")
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
Json = dict[str, Any]


async def by_product(conn: Any, distribution_id: uuid.UUID) -> list[Json]:
    rows = await conn.fetch(
        "SELECT l.product_id, l.product_name, l.category, l.unit_label, l.bulk, l.quantity,"
        " l.line_total_cents, o.id AS order_id, o.user_id FROM order_lines l"
        " JOIN orders o ON o.id = l.order_id WHERE o.distribution_id = $1 AND l.quantity > 0"
        " ORDER BY l.category, l.product_name, o.validated_at",
        distribution_id,
    )
    products: dict[uuid.UUID, Json] = {}
    for r in rows:
        p = products.setdefault(
            r["product_id"],
            {
                "product_id": str(r["product_id"]),
                "product_name": r["product_name"],
                "category": r["category"],
                "unit_label": r["unit_label"],
                "bulk": r["bulk"],
                "quantity": Decimal(0),
                "total_cents": 0,
                "orders": [],
            },
        )
        p["quantity"] += r["quantity"]
        p["total_cents"] += r["line_total_cents"]
        p["orders"].append(
            {
                "user_id": str(r["user_id"]),
                "order_id": str(r["order_id"]),
                "quantity": quantity_text(r["quantity"]),
            }
        )
    result = list(products.values())
    for p in result:
        p["quantity"] = quantity_text(p["quantity"])
    return result


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


async def day_sheet(conn: Any, distribution_id: uuid.UUID) -> list[Json]:
    orders = await handlers.orders_view(conn, await repo.distribution_orders(conn, distribution_id))
    return [
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


async def purchase_order_all_groups(conn: Any, start: date, end: date) -> list[Json]:
    begin = datetime.combine(start, time.min, PARIS)
    finish = datetime.combine(end + timedelta(days=1), time.min, PARIS)
    rows = await conn.fetch(
        "SELECT l.product_name, l.unit_label, l.bulk, o.group_id, sum(l.quantity) AS quantity,"
        " sum(l.line_total_cents)::int AS total_cents FROM order_lines l"
        " JOIN orders o ON o.id = l.order_id JOIN distributions d ON d.id = o.distribution_id"
        " WHERE d.starts_at >= $1 AND d.starts_at < $2 AND l.quantity > 0"
        " GROUP BY l.product_name, l.unit_label, l.bulk, o.group_id"
        " ORDER BY l.product_name, l.unit_label, o.group_id",
        begin,
        finish,
    )
    lines: dict[tuple[str, str, bool], Json] = {}
    for r in rows:
        line = lines.setdefault(
            (r["product_name"], r["unit_label"], r["bulk"]),
            {
                "product_name": r["product_name"],
                "unit_label": r["unit_label"],
                "bulk": r["bulk"],
                "quantity": Decimal(0),
                "total_cents": 0,
                "groups": [],
            },
        )
        line["quantity"] += r["quantity"]
        line["total_cents"] += r["total_cents"]
        line["groups"].append(
            {"group_id": str(r["group_id"]), "quantity": quantity_text(r["quantity"])}
        )
    result = list(lines.values())
    for line in result:
        line["quantity"] = quantity_text(line["quantity"])
    return result


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


# --- PDF -----------------------------------------------------------------------------------------

DAYS = ("Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi", "Samedi", "Dimanche")
MONTHS = (
    "Janvier",
    "Février",
    "Mars",
    "Avril",
    "Mai",
    "Juin",
    "Juillet",
    "Août",
    "Septembre",
    "Octobre",
    "Novembre",
    "Décembre",
)


def french_date(iso: str) -> str:
    moment = datetime.fromisoformat(iso).astimezone(PARIS)
    return f"{DAYS[moment.weekday()]} {moment.day} {MONTHS[moment.month - 1]} {moment.year}"


def french_time(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(PARIS).strftime("%H:%M")


def order_pdf(order: Json) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_margins(15, 15, 15)
    pdf.add_page()
    unicode_font = (DEJAVU / "DejaVuSans.ttf").exists() and (
        DEJAVU / "DejaVuSans-Bold.ttf"
    ).exists()
    if unicode_font:
        pdf.add_font("DejaVu", "", str(DEJAVU / "DejaVuSans.ttf"))
        pdf.add_font("DejaVu", "B", str(DEJAVU / "DejaVuSans-Bold.ttf"))
        family = "DejaVu"
    else:  # pragma: no cover - Debian ships DejaVu here
        family = "Helvetica"

    def text(value: str) -> str:
        if unicode_font:
            return value
        return value.replace("€", "EUR").encode("latin-1", "replace").decode("latin-1")

    dist = order["distribution"]
    pdf.set_font(family, "B", 16)
    pdf.cell(0, 10, text("Ma commande"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 11)
    pdf.cell(
        0,
        7,
        text(
            f"Distribution le {french_date(dist['starts_at'])}, "
            f"{french_time(dist['starts_at'])} – {french_time(dist['ends_at'])}"
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.cell(0, 7, text(dist["place_name"]), new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 7, text(dist["place_address"]), new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 7, text(f"Commande n° {order['order_id'][:8]}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    widths = (22, 88, 25, 25, 20)
    pdf.set_font(family, "B", 10)
    for width, title in zip(widths, ("Qté", "Produit", "P.U", "Sous-total", "Payé"), strict=True):
        pdf.cell(width, 8, text(title), border=1)
    pdf.ln()
    pdf.set_font(family, "", 10)
    for line in order["lines"]:
        qty = line["quantity"].replace(".", ",")
        qty = f"{qty} {line['unit_label']}" if line["bulk"] else qty
        pdf.cell(widths[0], 8, text(qty), border=1)
        pdf.cell(widths[1], 8, text(line["product_name"][:55]), border=1)
        pdf.cell(widths[2], 8, text(euros(line["unit_price_cents"])), border=1, align="R")
        pdf.cell(widths[3], 8, text(euros(line["line_total_cents"])), border=1, align="R")
        pdf.cell(widths[4], 8, "", border=1)
        pdf.ln()
    pdf.set_font(family, "B", 11)
    pdf.cell(sum(widths[:3]), 9, text("TOTAL"), border=1)
    pdf.cell(widths[3], 9, text(euros(order["total_cents"])), border=1, align="R")
    pdf.cell(widths[4], 9, text("Payé" if order["paid"] else "Non payé"), border=1)
    pdf.ln(12)
    pdf.set_font(family, "", 10)
    pdf.cell(0, 7, text("Paiement sur place."), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
