"""Ordering's public API as the web reads it: the response models are declared once, here, and
the ordering service states its answers with them (services/ordering/responses.py, the OpenAPI
document); `OrderingClient` returns them. A model's docstring is the description of its schema
in that document: it speaks to the API's reader."""

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import Field

from shared.clients.public import Answer, DistributionWindow, PublicClient, distribution_path

Quantity = str
DistributionState = Literal["not_yet_open", "open", "closed"]
LedgerKind = Literal["order", "order_update", "correction", "payment"]


class MyOrderRef(Answer):
    order_id: uuid.UUID
    total_cents: int


class Distribution(DistributionWindow):
    place_name: str
    place_address: str
    state: DistributionState
    my_order: MyOrderRef | None = Field(description="The caller's order; null: none (or a service)")


class Distributions(Answer):
    distributions: list[Distribution]


class OfferItem(Answer):
    product_id: uuid.UUID
    name: str
    category: str
    unit_label: str
    bulk: bool
    price_cents: int
    out_of_stock: bool


class OfferCategory(Answer):
    name: str
    products: list[OfferItem]


class Offer(Answer):
    distribution: Distribution
    categories: list[OfferCategory]

    def product(self, product_id: str) -> OfferItem | None:
        for category in self.categories:
            for item in category.products:
                if str(item.product_id) == product_id:
                    return item
        return None


class ProductLine(Answer):
    """A product and its quantity, in an order or a report."""

    product_id: uuid.UUID
    product_name: str
    category: str
    unit_label: str
    bulk: bool
    quantity: Quantity


class OrderLine(ProductLine):
    unit_price_cents: int
    line_total_cents: int


class CartLine(OrderLine):
    validated_quantity: Quantity
    pending_quantity: Quantity


class Cart(Answer):
    """The validated order and the pending lines, merged in `lines`."""

    distribution_id: uuid.UUID
    state: DistributionState
    order_id: uuid.UUID | None
    validated_lines: list[OrderLine]
    pending_lines: list[OrderLine]
    lines: list[CartLine]
    total_cents: int
    validated_total_cents: int
    has_pending: bool


class Order(Answer):
    """`distribution` is there when the answer is about one order."""

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


class Orders(Answer):
    orders: list[Order]


class LedgerEntry(Answer):
    entry_id: uuid.UUID
    kind: LedgerKind
    amount_cents: int
    method: str | None
    order_id: uuid.UUID | None
    distribution_id: uuid.UUID | None
    payment_id: uuid.UUID | None
    note: str | None
    created_at: datetime


class Ledger(Answer):
    user_id: uuid.UUID
    balance_cents: int
    entries: list[LedgerEntry]


class Product(Answer):
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


class Products(Answer):
    products: list[Product]


class ProductOrder(Answer):
    user_id: uuid.UUID
    order_id: uuid.UUID
    quantity: Quantity


class PurchaseLine(ProductLine):
    total_cents: int


class ByProductLine(PurchaseLine):
    orders: list[ProductOrder]


class ByProduct(Answer):
    products: list[ByProductLine]


class PurchaseOrder(Answer):
    distribution: Distribution
    lines: list[PurchaseLine]
    total_cents: int


class GroupQuantity(Answer):
    group_id: uuid.UUID
    quantity: Quantity


class AssociationPurchaseLine(Answer):
    product_name: str
    unit_label: str
    bulk: bool
    quantity: Quantity
    total_cents: int
    groups: list[GroupQuantity]


class AssociationPurchaseOrder(Answer):
    from_: date = Field(alias="from")
    to: date
    lines: list[AssociationPurchaseLine]
    total_cents: int


class CatalogCopied(Answer):
    copied: int
    skipped: int


class SheetRow(Answer):
    user_id: uuid.UUID
    order_id: uuid.UUID
    items: list[OrderLine]
    amount_due_cents: int
    total_cents: int
    paid_cents: int
    paid: bool


class Sheet(Answer):
    distribution: Distribution
    rows: list[SheetRow]


class OrderingClient(PublicClient):
    """Ordering's `/v1/groups/{group_id}/...` with the member's token."""

    service = "ordering"

    async def distributions(self, group_id: object) -> list[Distribution]:
        answer = await self.get(Distributions, f"/v1/groups/{group_id}/distributions")
        return answer.distributions

    async def distribution(self, group_id: object, distribution_id: object) -> Distribution:
        return await self.get(Distribution, distribution_path(group_id, distribution_id))

    async def offer(self, group_id: object, distribution_id: object) -> Offer:
        return await self.get(Offer, f"{distribution_path(group_id, distribution_id)}/offer")

    async def cart(self, group_id: object, distribution_id: object) -> Cart:
        return await self.get(Cart, f"{distribution_path(group_id, distribution_id)}/cart")

    async def my_order(self, group_id: object, distribution_id: object) -> Order:
        """The member's validated order (the transport's 404 when there is none)."""
        return await self.get(Order, f"{distribution_path(group_id, distribution_id)}/order")

    async def my_orders(self, group_id: object, params: dict[str, str]) -> list[Order]:
        answer = await self.get(Orders, f"/v1/groups/{group_id}/me/orders", params)
        return answer.orders

    async def my_ledger(self, group_id: object) -> Ledger:
        return await self.get(Ledger, f"/v1/groups/{group_id}/me/ledger")

    async def member_ledger(self, group_id: object, user_id: object) -> Ledger:
        return await self.get(Ledger, f"/v1/groups/{group_id}/members/{user_id}/ledger")

    async def order(self, group_id: object, order_id: object) -> Order:
        return await self.get(Order, f"/v1/groups/{group_id}/orders/{order_id}")

    async def orders(self, group_id: object, distribution_id: object) -> list[Order]:
        path = f"{distribution_path(group_id, distribution_id)}/orders"
        return (await self.get(Orders, path)).orders

    async def products(self, group_id: object) -> list[Product]:
        return (await self.get(Products, f"/v1/groups/{group_id}/products")).products

    async def by_product(self, group_id: object, distribution_id: object) -> list[ByProductLine]:
        path = f"{distribution_path(group_id, distribution_id)}/by-product"
        return (await self.get(ByProduct, path)).products

    async def purchase_order(self, group_id: object, distribution_id: object) -> PurchaseOrder:
        path = f"{distribution_path(group_id, distribution_id)}/purchase-order"
        return await self.get(PurchaseOrder, path)

    # --- changes --------------------------------------------------------------------------------

    async def set_cart_line(
        self, group_id: object, distribution_id: object, product_id: object, quantity: str, key: str
    ) -> None:
        path = f"{distribution_path(group_id, distribution_id)}/cart/lines/{product_id}"
        await self.send("PUT", path, {"quantity": quantity}, key=key)

    async def remove_cart_line(
        self, group_id: object, distribution_id: object, product_id: object
    ) -> None:
        path = f"{distribution_path(group_id, distribution_id)}/cart/lines/{product_id}"
        await self.send("DELETE", path)

    async def validate_order(
        self, group_id: object, distribution_id: object, payment_method: str, key: str
    ) -> None:
        path = f"{distribution_path(group_id, distribution_id)}/order/validate"
        await self.send("POST", path, {"payment_method": payment_method}, key=key)

    async def create_distribution(self, group_id: object, body: object) -> Distribution:
        answer = await self.send("POST", f"/v1/groups/{group_id}/distributions", body)
        return self.read(Distribution, answer)

    async def record_payment(self, group_id: object, body: object, key: str) -> None:
        await self.send("POST", f"/v1/groups/{group_id}/payments", body, key=key)

    async def correct_order(
        self, group_id: object, order_id: object, body: object, key: str
    ) -> None:
        await self.send(
            "POST", f"/v1/groups/{group_id}/orders/{order_id}/corrections", body, key=key
        )

    async def create_product(self, group_id: object, body: object) -> None:
        await self.send("POST", f"/v1/groups/{group_id}/products", body)

    async def update_product(self, group_id: object, product_id: object, body: object) -> None:
        await self.send("PATCH", f"/v1/groups/{group_id}/products/{product_id}", body)

    async def copy_catalog(self, group_id: object, target_group_id: str) -> CatalogCopied:
        body = {"target_group_id": target_group_id}
        answer = await self.send("POST", f"/v1/groups/{group_id}/products/copy", body)
        return self.read(CatalogCopied, answer)

    async def association_purchase_order(self, first: date, last: date) -> AssociationPurchaseOrder:
        """Every group's purchase order between two dates (the association's administrators)."""
        params = {"from": first.isoformat(), "to": last.isoformat()}
        return await self.get(AssociationPurchaseOrder, "/v1/purchase-order", params)

    async def sheet(self, group_id: object, distribution_id: object) -> Sheet:
        return await self.get(Sheet, f"{distribution_path(group_id, distribution_id)}/sheet")
