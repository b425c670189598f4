"""Response bodies of the ordering API, for the OpenAPI document only.

The answers are declared once, in shared/clients/ordering.py (the models the web reads them
with); the service states its answers with those same models, so a field renamed on one side is
renamed on both. The use cases build the answers as dicts and the contract test (schemathesis'
response_schema_conformance) proves every answer matches these models:
- `Distribution`: views.distribution_json; `Order`, `OrderLine`: views.order_json, line_json;
  `LedgerEntry`: views.ledger_json; `Product`: views.product_json;
- `Cart`, `CartLine`: cart.cart_view;
- `PurchaseLine`, `ByProductLine`, `AssociationPurchaseLine`, `SheetRow`: reports.py.
Quantities are decimal strings ("1", "0.5"): domain.quantity_text."""

import uuid

from services.ordering.domain import DistributionState
from shared.clients.ordering import (
    AssociationPurchaseLine,
    AssociationPurchaseOrder,
    ByProduct,
    ByProductLine,
    Cart,
    CartLine,
    CatalogCopied,
    Distribution,
    Distributions,
    GroupQuantity,
    Ledger,
    LedgerEntry,
    LedgerKind,
    MyOrderRef,
    Offer,
    OfferCategory,
    OfferItem,
    Order,
    OrderLine,
    Orders,
    Product,
    ProductOrder,
    Products,
    PurchaseLine,
    PurchaseOrder,
    Quantity,
    Sheet,
    SheetRow,
)


# A recorded payment: its ledger entry, whose it is and the member's balance after it. Only the
# service declares it (the web does not read the answer); no docstring: it would become the
# schema's description.
class Payment(LedgerEntry):
    user_id: uuid.UUID
    group_id: uuid.UUID
    balance_cents: int


__all__ = [
    "AssociationPurchaseLine",
    "AssociationPurchaseOrder",
    "ByProduct",
    "ByProductLine",
    "Cart",
    "CartLine",
    "CatalogCopied",
    "Distribution",
    "DistributionState",
    "Distributions",
    "GroupQuantity",
    "Ledger",
    "LedgerEntry",
    "LedgerKind",
    "MyOrderRef",
    "Offer",
    "OfferCategory",
    "OfferItem",
    "Order",
    "OrderLine",
    "Orders",
    "Payment",
    "Product",
    "ProductOrder",
    "Products",
    "PurchaseLine",
    "PurchaseOrder",
    "Quantity",
    "Sheet",
    "SheetRow",
]
