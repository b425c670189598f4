"""The quantity typed in the « Commande » field: "1", "0,5" or "0.5" (the same rules as ordering,
checked here first so that the member's own words get the message next to the field)."""

import re
from decimal import Decimal, InvalidOperation

from .i18n import _

# Same reading as ordering's: trailing zeros after the comma are harmless (checked below).
_NUMBER = re.compile(r"^[0-9]{1,6}([.,][0-9]+)?$")
MAX_PIECES = 99
MAX_BULK = Decimal(50)


class QuantityError(ValueError):
    pass


def parse_quantity(text: str, bulk: bool) -> Decimal:
    # A space inside is refused, not removed: « 0 5 » typed for « 0,5 » must not become 5 kg.
    raw = text.strip()
    if not _NUMBER.match(raw):
        raise QuantityError(_("Indiquez une quantité en chiffres, par exemple 1 ou 0,5."))
    try:
        value = Decimal(raw.replace(",", "."))
    except InvalidOperation:
        raise QuantityError(_("Indiquez une quantité en chiffres, par exemple 1 ou 0,5.")) from None
    if value <= 0:
        raise QuantityError(_("La quantité doit être plus grande que zéro."))
    if not bulk:
        if value != value.to_integral_value():
            raise QuantityError(_("Ce produit se commande à la pièce : indiquez un nombre entier."))
        if value > MAX_PIECES:
            raise QuantityError(_("Au plus %(max)s pièces.", max=MAX_PIECES))
        return value.quantize(Decimal(1))
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -3:
        raise QuantityError(_("Au plus 3 chiffres après la virgule (au gramme près)."))
    if value > MAX_BULK:
        raise QuantityError(_("Au plus %(max)s kg ou L.", max=MAX_BULK))
    return value
