"""What the ordering repositories return: frozen dataclasses named after their columns (a
ledger entry is the API's own model: repository/ledger.py).

A statement's column names are the field names, so `row_as(conn, Product, query, …)`
(shared.queries) builds the row; a column added to a SELECT without its field (or the reverse)
fails on the first call."""

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Protocol, Self

from services.ordering.domain import line_total_cents
from shared.distribution import DistributionTimes


@dataclass(frozen=True)
class Distribution(DistributionTimes):
    """A distribution as ordering keeps it: its times (those every service copies), its place."""

    place_name: str
    place_address: str
    db_now: datetime  # the database clock when read: the state is computed against it


@dataclass(frozen=True)
class ListedDistribution(Distribution):
    """A distribution with the order of the member who lists them (None: none, or a service)."""

    order_id: uuid.UUID | None
    order_total_cents: int | None


@dataclass(frozen=True)
class Product:
    id: uuid.UUID
    group_id: uuid.UUID
    name: str
    category: str
    unit_label: str
    unit_price_cents: int
    bulk: bool
    stock: Decimal | None  # None: not tracked (unlimited)
    active: bool


@dataclass(frozen=True)
class OfferedProduct(Product):
    price_cents: int  # the price for this distribution

    def as_line(self, quantity: Decimal) -> "Line":
        """This product at its price for the distribution, as an order line."""
        return ordered_line(self.id, self, self.price_cents, quantity)


@dataclass(frozen=True)
class CartLine:
    """A pending line with what validation needs (price for this distribution, active, stock)."""

    product_id: uuid.UUID
    quantity: Decimal
    name: str
    category: str
    unit_label: str
    bulk: bool
    active: bool
    stock: Decimal | None
    price_cents: int | None  # None: no longer offered for this distribution

    def as_line(self, unit_price_cents: int, quantity: Decimal) -> "Line":
        """This product at that price and quantity, as an order line."""
        return ordered_line(self.product_id, self, unit_price_cents, quantity)


@dataclass(frozen=True)
class Order:
    id: uuid.UUID
    distribution_id: uuid.UUID
    group_id: uuid.UUID
    user_id: uuid.UUID
    total_cents: int
    payment_method: str
    validated_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class ProductQuantity:
    """A product as an order line names it (its name, category and unit when ordered) and a
    quantity of it."""

    product_id: uuid.UUID
    product_name: str
    category: str
    unit_label: str
    bulk: bool
    quantity: Decimal


@dataclass(frozen=True)
class Line(ProductQuantity):
    """An order line as written (validation, correction) and as answered."""

    unit_price_cents: int
    line_total_cents: int

    def with_quantity(self, quantity: Decimal) -> Self:
        """The same product at the same price, for another quantity (its total recomputed)."""
        total = line_total_cents(quantity, self.unit_price_cents)
        return replace(self, quantity=quantity, line_total_cents=total)


class DescribedProduct(Protocol):
    """What an order line copies of a product when it is ordered: the line keeps them as they
    were (a product renamed later does not rename past orders)."""

    @property
    def name(self) -> str: ...
    @property
    def category(self) -> str: ...
    @property
    def unit_label(self) -> str: ...
    @property
    def bulk(self) -> bool: ...


def ordered_line(
    product_id: uuid.UUID, product: DescribedProduct, unit_price_cents: int, quantity: Decimal
) -> Line:
    """A product at that price and quantity, as an order line (its total computed)."""
    return Line(
        product_id=product_id,
        product_name=product.name,
        category=product.category,
        unit_label=product.unit_label,
        bulk=product.bulk,
        quantity=quantity,
        unit_price_cents=unit_price_cents,
        line_total_cents=line_total_cents(quantity, unit_price_cents),
    )


@dataclass(frozen=True)
class OrderLine(Line):
    order_id: uuid.UUID


@dataclass(frozen=True)
class ProductSale(ProductQuantity):
    """One product of one order of a distribution (the « par produit » report)."""

    line_total_cents: int
    order_id: uuid.UUID
    user_id: uuid.UUID


@dataclass(frozen=True)
class GroupPurchase:
    """Quantity and amount of one product in one group over a date range (association level)."""

    product_name: str
    unit_label: str
    bulk: bool
    group_id: uuid.UUID
    quantity: Decimal
    total_cents: int


@dataclass(frozen=True)
class MemberCart:
    """What a member holds for a distribution (SQL function `member_cart`): pending lines and
    their order (None: not validated yet) with its lines still ordered, both by category then
    name, and what they have paid for this distribution."""

    pending: list[CartLine]
    order: Order | None
    validated: list[OrderLine]
    paid_cents: int


@dataclass(frozen=True)
class CartChange:
    """What a cart change decides on, read under the member's lock (`cart_change_start`): the
    distribution (None: not this group's), the product as offered for it (None: not offered),
    how much of it the member has validated and has pending."""

    distribution: Distribution | None
    product: OfferedProduct | None
    validated: Decimal
    pending: Decimal


@dataclass(frozen=True)
class ValidationStart:
    """The first call of a validation (`validation_start`). `claimed` False: the Idempotency-Key
    was used before, its kept answer is (`kept_status`, `kept_response`) and nothing else was
    read. Otherwise the distribution (None: not this group's) and, when found, what the member
    holds, read under their lock."""

    claimed: bool
    kept_status: int | None
    kept_response: object
    distribution: Distribution | None
    cart: MemberCart | None


@dataclass(frozen=True)
class KeptAnswer:
    """The answer kept for an Idempotency-Key (scope, key) by the statement that makes it."""

    scope: str
    key: str
    status: int
    body: dict[str, object]

    @staticmethod
    def columns(kept: "KeptAnswer | None") -> tuple[str | None, str | None, int | None, object]:
        """(scope, key, status, body) as a statement takes them; all NULL without a key (the
        statement's UPDATE of idempotency_keys then matches no row)."""
        if kept is None:
            return None, None, None, None
        return kept.scope, kept.key, kept.status, kept.body
