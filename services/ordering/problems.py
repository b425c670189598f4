"""The ordering service's refusals (application/problem+json), French and English."""

import uuid
from decimal import Decimal

from services.ordering.domain import (
    DistributionState,
    LineLockedError,
    QuantityError,
    check_quantity_limit,
    parse_quantity,
)
from shared.problems import Problem, declared, not_found


def quantity_status(raw: object, bulk: bool) -> int:
    """422 for a quantity no product takes (the schema says so too); 409 for one the other kind
    of product would take ("0,5" of a product sold per piece): it conflicts with this product."""
    try:
        parse_quantity(raw, not bulk)
    except QuantityError:
        return 422
    return 409


def quantity_problem(exc: QuantityError, status: int = 422) -> Problem:
    return Problem(
        status,
        "invalid-quantity",
        exc.detail_fr,
        exc.detail_en,
        errors=[{"field": "quantity", "message": f"{exc.detail_fr} / {exc.detail_en}"}],
    )


def requested_quantity(raw: object, bulk: bool, *, within_limit: bool = False) -> Decimal:
    """The quantity asked for a product (bulk or by the piece), or its refusal (422 or 409, see
    quantity_status); `within_limit` also refuses one over the limit of one line."""
    try:
        quantity = parse_quantity(raw, bulk)
        if within_limit:
            check_quantity_limit(quantity, bulk)
    except QuantityError as exc:
        raise quantity_problem(exc, quantity_status(raw, bulk)) from None
    return quantity


def check_total_quantity(quantity: Decimal, bulk: bool) -> None:
    """A line's total over the limit, with what the cart or order already holds: a conflict with
    its state (409)."""
    try:
        check_quantity_limit(quantity, bulk)
    except QuantityError as exc:
        raise quantity_problem(exc, 409) from None


locked_problem = declared(
    409, "validated-line-locked", LineLockedError.detail_fr, LineLockedError.detail_en
)


def distribution_not_found() -> Problem:
    return not_found("Distribution", "Distribution")


def order_not_found() -> Problem:
    return not_found("Commande", "Order")


def product_not_found() -> Problem:
    return not_found("Produit", "Product")


def not_open_problem(state: DistributionState) -> Problem:
    if state is DistributionState.NOT_YET_OPEN:
        return Problem(
            409,
            "distribution-not-open",
            "La commande n'est pas encore ouverte.",
            "Ordering is not open yet.",
        )
    return Problem(
        409,
        "distribution-not-open",
        "La commande est close : elle ne peut plus être modifiée.",
        "Ordering is closed: the order can no longer be changed.",
    )


def out_of_stock_problem(product_ids: list[uuid.UUID]) -> Problem:
    return Problem(
        409,
        "out-of-stock",
        "Rupture de stock : ce produit n'est plus disponible dans la quantité demandée.",
        "Out of stock: this product is no longer available in that quantity.",
        errors=[{"field": "product_id", "message": str(p)} for p in product_ids],
    )


not_offered_problem = declared(
    409,
    "product-not-offered",
    "Ce produit n'est pas proposé pour cette distribution.",
    "This product is not offered for this distribution.",
)

product_named_twice = declared(
    409, "duplicate-product", "Un produit apparaît deux fois.", "A product appears twice."
)
