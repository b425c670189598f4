"""What the ordering repositories return: frozen dataclasses named after their columns.

A statement's column names are the field names, so `one(Product, record)` builds the row; a
column added to a SELECT without its field (or the reverse) fails on the first call."""

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Self, TypeVar

from services.ordering.domain import line_total_cents
from shared.db import Record

T = TypeVar("T")


def one(make: Callable[..., T], record: Record | None) -> T | None:
    return None if record is None else make(**dict(record.items()))


def many(make: Callable[..., T], records: Iterable[Record]) -> list[T]:
    return [make(**dict(r.items())) for r in records]


@dataclass(frozen=True)
class Distribution:
    id: uuid.UUID
    group_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    opens_at: datetime
    closes_at: datetime
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
        return Line(
            product_id=self.product_id,
            product_name=self.name,
            category=self.category,
            unit_label=self.unit_label,
            bulk=self.bulk,
            quantity=quantity,
            unit_price_cents=unit_price_cents,
            line_total_cents=line_total_cents(quantity, unit_price_cents),
        )


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
class SavedOrder(Order):
    paid_cents: int  # payments recorded for this distribution by this member


@dataclass(frozen=True)
class Line:
    """An order line as written (validation, correction) and as answered."""

    product_id: uuid.UUID
    product_name: str
    category: str
    unit_label: str
    bulk: bool
    quantity: Decimal
    unit_price_cents: int
    line_total_cents: int

    def with_quantity(self, quantity: Decimal) -> Self:
        """The same product at the same price, for another quantity (its total recomputed)."""
        total = line_total_cents(quantity, self.unit_price_cents)
        return replace(self, quantity=quantity, line_total_cents=total)


@dataclass(frozen=True)
class OrderLine(Line):
    order_id: uuid.UUID


@dataclass(frozen=True)
class LedgerEntry:
    entry_id: uuid.UUID
    kind: str
    amount_cents: int
    method: str | None
    order_id: uuid.UUID | None
    distribution_id: uuid.UUID | None
    payment_id: uuid.UUID | None
    note: str | None
    created_at: datetime


@dataclass(frozen=True)
class ProductSale:
    """One product of one order of a distribution (the « par produit » report)."""

    product_id: uuid.UUID
    product_name: str
    category: str
    unit_label: str
    bulk: bool
    quantity: Decimal
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
