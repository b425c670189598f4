"""An order as a printable PDF (« imprimer ma commande »)."""

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fpdf import FPDF

from services.ordering.domain import euros
from services.ordering.views import Json

PARIS = ZoneInfo("Europe/Paris")
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")


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
