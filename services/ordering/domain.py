"""Pure ordering rules: quantities, money, distribution states and schedules. No I/O.

Rules that two concurrent requests could break between a read and a write are enforced in SQL on
purpose, not here (a check in Python would be lost to the other transaction):
- « le stock ne passe jamais sous zéro » (stock is never oversold): the SQL function `take_stock`
  (migrations/0002_one_round_trip_use_cases.sql: locked rows, conditional UPDATE, all or
  nothing), backed by the CHECK `products_stock_check` of migrations/0001_init.sql;
- « un panier validé deux fois fait une commande »: the member's advisory lock on the distribution
  (SQL function `member_lock`, taken by `validation_start` and `cart_change_start` of the same
  migration), the UNIQUE (distribution_id, user_id) of `orders` and the Idempotency-Key kept in
  the validation's transaction (validation.py);
- a distribution opens before it closes and closes before it starts: `schedule_errors` below
  answers the member, the CHECK of `distributions` (0001_init.sql) is the backstop;
- opened/closed announced once: the conditional UPDATE … SKIP LOCKED of repository/distributions.py
  `claim_opened` / `claim_closed`.
The rest (quantities, prices, states, the dates against today) is decided here, and the open state
is computed against the database clock read with the distribution (`db_now`).
"""

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Literal

MAX_PIECES = 99
MAX_BULK = Decimal(50)
BULK_DECIMALS = 3
PaymentMethod = Literal["cash", "cheque", "card", "transfer"]
# A distribution is an afternoon at the local: its pick-up window lasts at most a day (logistics
# cuts it into slots: 24 h of 15-minute slots is 96 rows). Ordering opens at most a year ahead and
# the distribution follows within a year: nothing is planned further, and an unbounded window
# (a typo in the year) would otherwise be accepted and cut into millions of slots.
MAX_DISTRIBUTION_LENGTH = timedelta(hours=24)
MAX_AHEAD = timedelta(days=366)
LOCKED_LINE_FR = "Vous ne pouvez pas supprimer un produit une fois la commande validée."
LOCKED_LINE_EN = "You cannot remove or lower a product once the order is validated."

# ASCII digits only: `\d` would also read "١" or "５" as numbers, which the pages refuse.
_NUMBER = re.compile(r"^\s*([0-9]{1,6})(?:[.,]([0-9]+))?\s*$")


@dataclass(frozen=True)
class MemberDistribution:
    """A member (a person) at one distribution of their group: whose cart and order a member
    route reads or changes. Named, because three ids in a row are easily passed swapped."""

    group_id: uuid.UUID
    distribution_id: uuid.UUID
    user_id: uuid.UUID


class QuantityError(ValueError):
    """A quantity a member typed that cannot be ordered; carries a French and English message."""

    def __init__(self, detail_fr: str, detail_en: str) -> None:
        super().__init__(detail_en)
        self.detail_fr = detail_fr
        self.detail_en = detail_en


def parse_quantity(raw: object, bulk: bool) -> Decimal:
    """ "0,5" / "0.5" / 1 → Decimal. Per piece: whole 1..99. Bulk: > 0, ≤ 50, ≤ 3 decimals."""
    if isinstance(raw, bool) or raw is None:
        raise _not_a_number()
    if isinstance(raw, int):
        text = str(raw)
    elif isinstance(raw, float):
        if raw != raw or raw in (float("inf"), float("-inf")):
            raise _not_a_number()
        text = repr(raw)
    elif isinstance(raw, str):
        text = raw
    else:
        raise _not_a_number()
    if text.strip().startswith("-"):
        raise QuantityError(
            "La quantité doit être supérieure à zéro.", "The quantity must be greater than zero."
        )
    match = _NUMBER.match(text)
    if match is None:
        raise _not_a_number()
    whole, decimals = match.group(1), match.group(2) or ""
    decimals = decimals.rstrip("0")
    try:
        value = Decimal(f"{whole}.{decimals}" if decimals else whole)
    except InvalidOperation:  # pragma: no cover - the regex only lets digits through
        raise _not_a_number() from None
    if value <= 0:
        raise QuantityError(
            "La quantité doit être supérieure à zéro.", "The quantity must be greater than zero."
        )
    if not bulk:
        if decimals:
            raise QuantityError(
                "Ce produit se commande à la pièce : indiquez un nombre entier (1, 2, 3…).",
                "This product is sold per piece: enter a whole number (1, 2, 3…).",
            )
        if value > MAX_PIECES:
            raise QuantityError(
                f"Vous pouvez commander au plus {MAX_PIECES} pièces.",
                f"You can order at most {MAX_PIECES} pieces.",
            )
        return value
    if len(decimals) > BULK_DECIMALS:
        raise QuantityError(
            "Indiquez au plus 3 chiffres après la virgule (par exemple 0,250 pour 250 g).",
            "Use at most 3 decimals (for example 0.250 for 250 g).",
        )
    if value > MAX_BULK:
        raise QuantityError(
            f"Vous pouvez commander au plus {MAX_BULK} kg ou L de ce produit.",
            f"You can order at most {MAX_BULK} kg or L of this product.",
        )
    return value


def _not_a_number() -> QuantityError:
    return QuantityError(
        "Quantité invalide : écrivez un nombre, par exemple 1 ou 0,5.",
        "Invalid quantity: write a number, for example 1 or 0.5.",
    )


def check_quantity_limit(total: Decimal, bulk: bool) -> None:
    """A line's total (validated + added) must stay within the same sane maximum."""
    limit = MAX_BULK if bulk else Decimal(MAX_PIECES)
    if total > limit:
        raise QuantityError(
            f"Quantité totale trop grande pour ce produit (maximum {limit}).",
            f"Total quantity too large for this product (maximum {limit}).",
        )


def line_total_cents(quantity: Decimal, unit_price_cents: int) -> int:
    """quantity × unit price, rounded half-up to the cent: 0.5 × 1485 = 743."""
    return int((quantity * unit_price_cents).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def quantity_text(quantity: Decimal) -> str:
    """Canonical decimal string: 0.500 → "0.5", 2.000 → "2"."""
    normalized = quantity.normalize()
    if normalized == normalized.to_integral_value():
        return str(normalized.quantize(Decimal(1)))
    return format(normalized, "f")


def euros(cents: int) -> str:
    """French display: 968 → "9,68 €", -153 → "-1,53 €"."""
    sign = "-" if cents < 0 else ""
    value = abs(cents)
    return f"{sign}{value // 100},{value % 100:02d} €"


class DistributionState(StrEnum):
    NOT_YET_OPEN = "not_yet_open"
    OPEN = "open"
    CLOSED = "closed"


def distribution_state(opens_at: datetime, closes_at: datetime, now: datetime) -> DistributionState:
    if now < opens_at:
        return DistributionState.NOT_YET_OPEN
    if now < closes_at:
        return DistributionState.OPEN
    return DistributionState.CLOSED


def schedule_errors(
    opens_at: datetime, closes_at: datetime, starts_at: datetime, ends_at: datetime, now: datetime
) -> list[dict[str, str]]:
    errors = []
    if opens_at > now + MAX_AHEAD:
        errors.append(
            {
                "field": "opens_at",
                "message": "La commande ouvre au plus un an à l'avance"
                " / ordering opens at most a year ahead",
            }
        )
    if starts_at > opens_at + MAX_AHEAD:
        errors.append(
            {
                "field": "starts_at",
                "message": "La distribution a lieu au plus un an après l'ouverture des commandes"
                " / the distribution takes place at most a year after ordering opens",
            }
        )
    if ends_at - starts_at > MAX_DISTRIBUTION_LENGTH:
        errors.append(
            {
                "field": "ends_at",
                "message": "Une distribution dure au plus 24 heures"
                " / a distribution lasts at most 24 hours",
            }
        )
    if closes_at <= opens_at:
        errors.append(
            {
                "field": "closes_at",
                "message": "La fermeture doit suivre l'ouverture / closing must follow opening",
            }
        )
    if starts_at < closes_at:
        errors.append(
            {
                "field": "starts_at",
                "message": "La distribution doit suivre la fermeture des commandes"
                " / the distribution must start after ordering closes",
            }
        )
    if ends_at <= starts_at:
        errors.append(
            {
                "field": "ends_at",
                "message": "La fin doit suivre le début / the end must follow the start",
            }
        )
    return errors


def check_member_sets_quantity(validated: Decimal, new_total: Decimal) -> None:
    """A member may raise a validated line, never lower or remove it."""
    if new_total < validated:
        raise LineLockedError()


class LineLockedError(Exception):
    detail_fr = LOCKED_LINE_FR
    detail_en = LOCKED_LINE_EN
