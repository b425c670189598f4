"""The coordinators' forms: a product (created, or its price, stock and active flag changed), the
catalog copied, a new distribution, the slots' capacity, a payment recorded."""

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import (
    BeforeValidator,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ...i18n import _
from ..common import uuid_or_none
from ..forms import Checkbox, Form, FormId, RequiredText, refuse
from ..member.forms import IdempotentForm
from .parsing import parse_day, parse_local, parse_money, parse_overrides

PAYMENT_METHODS = ("cash", "cheque", "card", "transfer")


def price_messages() -> dict[str, str]:
    """The product forms' price, when it is not posted at all."""
    return {"price": _("Indiquez un prix en euros, par exemple 2,25.")}


def _positive_cents(value: object) -> int:
    cents = parse_money(str(value))
    if cents is None or cents <= 0:
        raise refuse(price_messages()["price"])
    return cents


def _stock_text(value: object) -> str | None:
    return str(value or "").replace(",", ".") or None


# A price typed in euros (« 2,25 »), in cents.
PriceCents = Annotated[int, BeforeValidator(_positive_cents)]
# A stock typed « 2,5 » or « 2.5 » (as ordering reads it), None when left empty (unlimited).
StockText = Annotated[str | None, BeforeValidator(_stock_text)]


class ProductForm(Form):
    """A new product of the catalog."""

    name: RequiredText = ""
    category: RequiredText = ""
    unit_label: RequiredText = ""
    price: PriceCents
    bulk: Checkbox = False
    stock: StockText = None
    active: Checkbox = True

    @field_validator("stock")
    @classmethod
    def _stock(cls, value: str | None) -> str | None:
        try:
            if value is not None and Decimal(value) < 0:
                raise InvalidOperation
        except InvalidOperation:
            raise refuse(_("Indiquez un stock en chiffres, ou laissez vide (illimité).")) from None
        return value

    def body(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "category": self.category,
            "unit_label": self.unit_label,
            "unit_price_cents": self.price,
            "bulk": self.bulk,
            "stock": self.stock,
            "active": self.active,
        }


class ProductChangeForm(Form):
    """A product's price, stock and active flag (ordering checks the stock)."""

    price: PriceCents
    stock: StockText = None
    active: Checkbox = False

    def body(self) -> dict[str, Any]:
        return {"active": self.active, "unit_price_cents": self.price, "stock": self.stock}


class CopyCatalogForm(Form):
    target_group_id: FormId = ""


def copy_catalog_messages() -> dict[str, str]:
    return {"target_group_id": _("Choisissez un groupe dans la liste.")}


class NewDistributionForm(Form):
    """« Créer une distribution ». Each rule is checked on the last field it reads, its message
    shown where the page shows it; every rule at once."""

    day: str = ""
    start: str = ""
    end: str = ""
    opens_day: str = ""
    opens_time: str = ""
    closes_day: str = ""
    closes_time: str = ""
    place_name: RequiredText = ""
    place_address: RequiredText = ""
    product: list[str] = Field(default_factory=list)
    # « price-<product id> »: the price for this distribution when one is typed.
    prices: dict[str, str] = Field(default_factory=dict)
    capacity: str = "8"
    overrides: str = ""

    @model_validator(mode="before")
    @classmethod
    def _gather_prices(cls, data: Any) -> Any:
        if isinstance(data, dict):
            prefix = "price-"
            prices = {k[len(prefix) :]: v for k, v in data.items() if k.startswith(prefix) and v}
            data = {**data, "prices": prices}
        return data

    @field_validator("end")
    @classmethod
    def _window(cls, value: str, info: ValidationInfo) -> str:
        day = info.data["day"]
        starts, ends = parse_local(day, info.data["start"]), parse_local(day, value)
        if starts is None or ends is None:
            raise refuse(_("Indiquez la date et les heures de la distribution."), "day")
        if ends <= starts:
            raise refuse(_("L'heure de fin doit être après l'heure de début."))
        return value

    @field_validator("opens_time")
    @classmethod
    def _opening(cls, value: str, info: ValidationInfo) -> str:
        if parse_local(info.data["opens_day"], value) is None:
            raise refuse(_("Indiquez quand la commande ouvre."), "opens_day")
        return value

    @field_validator("closes_time")
    @classmethod
    def _closing(cls, value: str, info: ValidationInfo) -> str:
        closes = parse_local(info.data["closes_day"], value)
        # Left out of info.data when refused themselves: no comparison then.
        opens = parse_local(info.data["opens_day"], info.data.get("opens_time", ""))
        starts = parse_local(info.data["day"], info.data["start"])
        if closes is None:
            raise refuse(_("Indiquez quand la commande ferme."), "closes_day")
        if opens is not None and closes <= opens:
            raise refuse(_("La fermeture doit être après l'ouverture."), "closes_day")
        if starts is not None and closes > starts:
            message = _("La commande doit fermer avant le début de la distribution.")
            raise refuse(message, "closes_day")
        return value

    @field_validator("product")
    @classmethod
    def _some_product(cls, value: list[str]) -> list[str]:
        if not value:
            raise refuse(_("Choisissez au moins un produit."), "products")
        return sorted(set(value))

    @field_validator("prices")
    @classmethod
    def _prices(cls, value: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        chosen = set(info.data.get("product", []))
        for product_id, text in value.items():
            cents = parse_money(text)
            if product_id in chosen and (cents is None or cents <= 0):
                message = _("Un prix n'est pas compris : écrivez par exemple 2,25.")
                raise refuse(message, "products")
        return value

    @field_validator("capacity")
    @classmethod
    def _capacity(cls, value: str) -> str:
        if not value.isdigit() or not 0 < int(value) <= 500:
            raise refuse(_("Indiquez un nombre de personnes par créneau, par exemple 8."))
        return value

    @field_validator("overrides")
    @classmethod
    def _overrides(cls, value: str) -> str:
        if parse_overrides(value) is None:
            raise refuse(_("Une ligne par créneau, par exemple 16:45=3."))
        return value

    def body(self) -> dict[str, Any]:
        """What ordering's « create a distribution » takes."""
        starts, ends = parse_local(self.day, self.start), parse_local(self.day, self.end)
        opens = parse_local(self.opens_day, self.opens_time)
        closes = parse_local(self.closes_day, self.closes_time)
        assert starts and ends and opens and closes  # checked by the validators
        products: list[dict[str, Any]] = []
        for product_id in self.product:
            item: dict[str, Any] = {"product_id": product_id}
            if self.prices.get(product_id):
                item["price_cents"] = parse_money(self.prices[product_id])
            products.append(item)
        return {
            "starts_at": starts.isoformat(),
            "ends_at": ends.isoformat(),
            "opens_at": opens.isoformat(),
            "closes_at": closes.isoformat(),
            "place_name": self.place_name,
            "place_address": self.place_address,
            "products": products,
        }

    def slot_overrides(self) -> dict[str, int]:
        return parse_overrides(self.overrides) or {}


class CapacityForm(Form):
    """One slot's capacity (`slot_id`; not a number: back to the default), or the default
    capacity of every slot."""

    slot_id: str = ""
    capacity: str = ""
    default_capacity: str = ""

    @model_validator(mode="after")
    def _target(self) -> "CapacityForm":
        if self.slot_id and uuid_or_none(self.slot_id) is None:
            raise refuse(_("Créneau inconnu."), "slot_id")
        if not self.slot_id and not self.default_capacity.isdigit():
            raise refuse(_("Indiquez un nombre."), "default_capacity")
        return self

    def slot_capacity(self) -> int | None:
        return int(self.capacity) if self.capacity.isdigit() else None


class PaymentForm(IdempotentForm):
    """A payment recorded from the day sheet (an amount may be negative: a refund)."""

    user_id: FormId = ""
    amount: int
    method: str = ""

    @field_validator("amount", mode="before")
    @classmethod
    def _amount(cls, value: object) -> int:
        cents = parse_money(str(value))
        if cents is None or cents == 0:
            raise refuse(payment_messages()["amount"])
        return cents

    @field_validator("method")
    @classmethod
    def _method(cls, value: str) -> str:
        if value not in PAYMENT_METHODS:
            raise refuse(_("Choisissez le moyen de paiement."))
        return value


# The member's id is the page's own hidden field: refused, the post is forged (a 400).
PAYMENT_UNDER = {"user_id": "user_id"}


def payment_messages() -> dict[str, str]:
    return {"amount": _("Indiquez le montant payé en euros, par exemple 9,68.")}


class DateRangeForm(Form):
    """The distributions between two days (« du », « au »: the query's names), a year at most."""

    du: date
    au: date

    @field_validator("du", mode="before")
    @classmethod
    def _first_day(cls, value: object) -> date:
        day = parse_day(str(value))
        if day is None:
            raise refuse(_("Indiquez une date, par exemple 01/09/2024."))
        return day

    @field_validator("au", mode="before")
    @classmethod
    def _last_day(cls, value: object, info: ValidationInfo) -> date:
        day = parse_day(str(value))
        start = info.data.get("du")  # left out when refused itself: no comparison then
        if day is None:
            raise refuse(_("Indiquez une date, par exemple 30/09/2024."))
        if start is not None and day < start:
            raise refuse(_("La date de fin doit être après la date de début."))
        if start is not None and (day - start).days > 366:
            raise refuse(_("Au plus un an à la fois."))
        return day
