"""Response bodies of the ordering API, for the OpenAPI document only.

The use cases build these answers as dicts (views.py, cart.py, distributions.py, reports.py…) and
the web reads them as they are; these models state that shape field for field, and the contract
test (schemathesis' response_schema_conformance) proves every answer matches them. Quantities are
decimal strings ("1", "0.5"): domain.quantity_text."""

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.ordering.domain import DistributionState

Quantity = str
LedgerKind = Literal["order", "order_update", "correction", "payment"]


class MyOrderRef(BaseModel):
    order_id: uuid.UUID
    total_cents: int


class Distribution(BaseModel):
    """views.distribution_json."""

    distribution_id: uuid.UUID
    group_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    opens_at: datetime
    closes_at: datetime
    place_name: str
    place_address: str
    state: DistributionState
    my_order: MyOrderRef | None = Field(description="The caller's order; null: none (or a service)")


class Distributions(BaseModel):
    distributions: list[Distribution]


class OfferItem(BaseModel):
    product_id: uuid.UUID
    name: str
    category: str
    unit_label: str
    bulk: bool
    price_cents: int
    out_of_stock: bool


class OfferCategory(BaseModel):
    name: str
    products: list[OfferItem]


class Offer(BaseModel):
    distribution: Distribution
    categories: list[OfferCategory]


class OrderLine(BaseModel):
    """views.line_json."""

    product_id: uuid.UUID
    product_name: str
    category: str
    unit_label: str
    bulk: bool
    quantity: Quantity
    unit_price_cents: int
    line_total_cents: int


class CartLine(OrderLine):
    validated_quantity: Quantity
    pending_quantity: Quantity


class Cart(BaseModel):
    """cart.cart_view: the validated order and the pending lines, merged in `lines`."""

    distribution_id: uuid.UUID
    state: DistributionState
    order_id: uuid.UUID | None
    validated_lines: list[OrderLine]
    pending_lines: list[OrderLine]
    lines: list[CartLine]
    total_cents: int
    validated_total_cents: int
    has_pending: bool


class Order(BaseModel):
    """views.order_json; `distribution` is there when the answer is about one order."""

    order_id: uuid.UUID
    distribution_id: uuid.UUID
    group_id: uuid.UUID
    user_id: uuid.UUID
    lines: list[OrderLine]
    total_cents: int
    fees_cents: int
    payment_method: str
    validated_at: datetime
    updated_at: datetime
    paid_cents: int
    paid: bool
    distribution: Distribution | None = None


class Orders(BaseModel):
    orders: list[Order]


class LedgerEntry(BaseModel):
    """views.ledger_json."""

    entry_id: uuid.UUID
    kind: LedgerKind
    amount_cents: int
    method: str | None
    order_id: uuid.UUID | None
    distribution_id: uuid.UUID | None
    payment_id: uuid.UUID | None
    note: str | None
    created_at: datetime


class Ledger(BaseModel):
    user_id: uuid.UUID
    balance_cents: int
    entries: list[LedgerEntry]


class Payment(LedgerEntry):
    user_id: uuid.UUID
    group_id: uuid.UUID
    balance_cents: int


class Product(BaseModel):
    """views.product_json."""

    product_id: uuid.UUID
    group_id: uuid.UUID
    name: str
    category: str
    unit_label: str
    unit_price_cents: int
    bulk: bool
    stock: Quantity | None
    active: bool
    out_of_stock: bool


class Products(BaseModel):
    products: list[Product]


class CatalogCopied(BaseModel):
    copied: int
    skipped: int


class ProductOrder(BaseModel):
    user_id: uuid.UUID
    order_id: uuid.UUID
    quantity: Quantity


class PurchaseLine(BaseModel):
    """reports.purchase_lines."""

    product_id: uuid.UUID
    product_name: str
    category: str
    unit_label: str
    bulk: bool
    quantity: Quantity
    total_cents: int


class ByProductLine(PurchaseLine):
    """reports.by_product."""

    orders: list[ProductOrder]


class ByProduct(BaseModel):
    products: list[ByProductLine]


class PurchaseOrder(BaseModel):
    distribution: Distribution
    lines: list[PurchaseLine]
    total_cents: int


class GroupQuantity(BaseModel):
    group_id: uuid.UUID
    quantity: Quantity


class AssociationPurchaseLine(BaseModel):
    """reports.purchase_order_all_groups."""

    product_name: str
    unit_label: str
    bulk: bool
    quantity: Quantity
    total_cents: int
    groups: list[GroupQuantity]


class AssociationPurchaseOrder(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: date = Field(alias="from")
    to: date
    lines: list[AssociationPurchaseLine]
    total_cents: int


class SheetRow(BaseModel):
    """reports.day_sheet."""

    user_id: uuid.UUID
    order_id: uuid.UUID
    items: list[OrderLine]
    amount_due_cents: int
    total_cents: int
    paid_cents: int
    paid: bool


class Sheet(BaseModel):
    distribution: Distribution
    rows: list[SheetRow]
