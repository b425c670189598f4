"""The form of « Corriger la commande »: a new quantity per line of the order (`q-<product>`,
beside it `b-<product>`, the quantity the coordinator saw), a product to add with its quantity,
and the reason. How each product is sold comes from the context: `bulk` (the order's lines) and
`offered` (the distribution's products, read only when a product is added)."""

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import Field, ValidationInfo, field_validator, model_validator

from ...i18n import _
from ...quantities import QuantityError, parse_quantity
from ..common import uuid_or_none
from ..forms import Form, refuse
from ..member.forms import IdempotentForm

QUANTITY_FIELD = "q-"
SEEN_FIELD = "b-"


def seen_quantity(text: object) -> Decimal:
    """A quantity the page showed (hidden field): 0 when it is not a number."""
    try:
        return Decimal(str(text))
    except (InvalidOperation, ValueError):
        return Decimal(0)


def parse_correction(text: str, bulk: bool) -> Decimal:
    """A corrected quantity: like the order page ("1", "0,5", "0.5"), and 0 (or empty) removes."""
    raw = text.strip().replace(" ", "")
    if raw == "" or re.fullmatch(r"0+([.,]0*)?", raw):
        return Decimal(0)
    return parse_quantity(raw, bulk)


class CorrectionLine(Form):
    product_id: str
    seen: Decimal
    # None: a line the form did not show as ordered (it can only be added below).
    quantity: Decimal | None

    @field_validator("seen", mode="before")
    @classmethod
    def _seen(cls, value: object) -> Decimal:
        return seen_quantity(value)

    @field_validator("quantity", mode="before")
    @classmethod
    def _quantity(cls, value: object, info: ValidationInfo) -> Decimal | None:
        bulk_of: dict[str, bool] = (info.context or {})["bulk"]
        product_id = info.data["product_id"]
        if product_id not in bulk_of and info.data["seen"] == 0:
            return None
        try:
            return parse_correction(str(value), bulk_of.get(product_id, True))
        except QuantityError as error:
            raise refuse(str(error), f"{QUANTITY_FIELD}{product_id}") from None


class CorrectionForm(IdempotentForm):
    lines: dict[str, CorrectionLine] = Field(default_factory=dict)
    add_product: str | None = None
    # The quantity added (None: nothing is added).
    add_quantity: Decimal | None = None
    note: str = ""

    @model_validator(mode="before")
    @classmethod
    def _gather_lines(cls, data: Any) -> Any:
        """The `q-<product>` fields of well-formed ids, each with its `b-<product>`."""
        if not isinstance(data, dict):
            return data
        lines: dict[str, dict[str, object]] = {}
        for name, text in data.items():
            if not name.startswith(QUANTITY_FIELD):
                continue
            product_id = uuid_or_none(name.removeprefix(QUANTITY_FIELD))
            if product_id is not None:
                seen = data.get(f"{SEEN_FIELD}{product_id}", "0")
                lines[product_id] = {"product_id": product_id, "seen": seen, "quantity": text}
        return {**data, "lines": lines}

    @field_validator("add_product", mode="before")
    @classmethod
    def _product(cls, value: object) -> str | None:
        return uuid_or_none(str(value or ""))

    @field_validator("add_quantity", mode="before")
    @classmethod
    def _added(cls, value: object, info: ValidationInfo) -> Decimal | None:
        text = str(value or "")
        added = info.data.get("add_product")
        if not text:
            return None
        if added is None:
            raise refuse(_("Choisissez le produit à ajouter."), "add_product")
        offered: dict[str, bool] = (info.context or {}).get("offered") or {}
        if added not in offered:
            raise refuse(_("Ce produit n'est pas proposé à cette distribution."), "add_product")
        try:
            return parse_quantity(text, offered[added])
        except QuantityError as error:
            raise refuse(str(error)) from None

    @field_validator("note")
    @classmethod
    def _reason(cls, value: str) -> str:
        if not value:
            raise refuse(_("Indiquez la raison de la correction."))
        if len(value) > 500:
            raise refuse(_("Au plus 500 caractères."))
        return value

    @model_validator(mode="after")
    def _changes_something(self) -> "CorrectionForm":
        if all(self.wanted()[pid] == self.seen()[pid] for pid in self.wanted()):
            raise refuse(_("Aucune quantité n'a changé."), "_form")
        return self

    def wanted(self) -> dict[str, Decimal]:
        """The new quantity of each line changed or added."""
        found = {pid: ln.quantity for pid, ln in self.lines.items() if ln.quantity is not None}
        if self.add_product is not None and self.add_quantity is not None:
            found[self.add_product] = self.add_quantity
        return found

    def seen(self) -> dict[str, Decimal]:
        """The quantities the coordinator saw (0 for a product added)."""
        found = {pid: line.seen for pid, line in self.lines.items()}
        if self.add_product is not None and self.add_quantity is not None:
            found.setdefault(self.add_product, Decimal(0))
        return found
