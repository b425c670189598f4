"""The member's forms: language, cart line, payment choice, pickup choice and slot, delivery
request (address, phone and consent), a request claimed or withdrawn."""

from decimal import Decimal
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from ... import i18n
from ...i18n import _
from ...quantities import QuantityError, parse_quantity
from ...validation import person_error
from ..common import valid_idempotency_key
from ..forms import Form, refuse

CONSENT_FIELDS = ("address", "phone", "email")


class IdempotentForm(Form):
    """A form that carries the Idempotency-Key of its first display (a double click sends the
    same key); a missing or malformed one is replaced by a fresh key."""

    idem: str = ""

    @field_validator("idem")
    @classmethod
    def _key(cls, value: str) -> str:
        return valid_idempotency_key(value)


class LanguageForm(Form):
    language: str

    @field_validator("language")
    @classmethod
    def _offered(cls, value: str) -> str:
        if value not in i18n.LANGUAGES:
            raise ValueError("not a language of the site")
        return value


class CartLineForm(IdempotentForm):
    """« Commande »: the quantity typed (the context's `bulk` says how the product is sold) and
    the quantity the member saw in the cart (`base`, 0 when it is not a sensible number)."""

    quantity: Decimal
    base: Decimal = Decimal(0)

    @field_validator("quantity", mode="before")
    @classmethod
    def _quantity(cls, value: object, info: ValidationInfo) -> Decimal:
        try:
            return parse_quantity(str(value), bool((info.context or {}).get("bulk")))
        except QuantityError as error:
            raise refuse(str(error)) from None

    @field_validator("base", mode="before")
    @classmethod
    def _base(cls, value: object) -> Decimal:
        try:
            base = Decimal(str(value or "0"))
            return base if 0 <= base <= 1000 else Decimal(0)
        except ArithmeticError:
            return Decimal(0)


def cart_line_messages() -> dict[str, str]:
    """When the quantity is not posted at all (a typed one says its own refusal)."""
    return {"quantity": _("Indiquez une quantité en chiffres, par exemple 1 ou 0,5.")}


class PaymentChoiceForm(IdempotentForm):
    payment_method: Literal["on_site"]


class PickupChoiceForm(Form):
    choice: Literal["need_delivery", "can_deliver", "pickup_only"]


class SlotForm(Form):
    slot_id: str = Field(min_length=1)


def slot_messages() -> dict[str, str]:
    return {"slot_id": _("Choisissez un créneau dans la liste.")}


class ClaimForm(Form):
    """« Sélectionner » a delivery request, or withdraw from it."""

    action: str = ""

    @property
    def withdraw(self) -> bool:
        return self.action == "withdraw"


class NeedDeliveryForm(Form):
    """« Besoin d'être livré »: phone and address confirmed (required here whatever the group
    asks), and at least one of them the member agrees to share."""

    phone: str = ""
    street: str = ""
    postcode: str = ""
    city: str = ""
    consent: list[Literal["address", "phone", "email"]] = Field(default_factory=list)

    @field_validator("phone", "street", "postcode", "city")
    @classmethod
    def _contact(cls, value: str, info: ValidationInfo) -> str:
        name = str(info.field_name)
        if not value:
            raise refuse(
                _("Indiquez un numéro de téléphone pour que la personne puisse vous appeler.")
                if name == "phone"
                else _("Indiquez votre adresse complète pour être livré.")
            )
        message = person_error(name, value, required=True)
        if message is not None:
            raise refuse(message)
        return value

    @field_validator("consent")
    @classmethod
    def _some_consent(cls, value: list[str]) -> list[str]:
        if not value:
            raise refuse(
                _("Cochez au moins une information à transmettre à la personne qui vous livrera.")
            )
        return value

    def contact(self) -> dict[str, str]:
        return self.model_dump(exclude={"consent"})
