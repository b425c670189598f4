"""HTTP API of the ordering service (see README.md for the reference)."""

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from aiohttp import web

from services.ordering import export as personal_export
from services.ordering import handlers, reports, responses
from services.ordering import repository as repo
from services.ordering.domain import schedule_errors
from services.ordering.models import (
    AddLine,
    CopyCatalog,
    DateRange,
    DistributionCreate,
    LastOrdersQuery,
    OrderCorrection,
    PaymentCreate,
    ProductCreate,
    ProductPatch,
    SetQuantity,
    ValidateOrder,
)
from shared.auth import Principal, principal, service_principal
from shared.bodies import parse_json, path_uuid, query_model
from shared.http import json_ok
from shared.idempotency import claim, idempotency_key, once
from shared.openapi import operation
from shared.problems import Problem, not_found
from shared.runtime import DB_KEY

routes = web.RouteTableDef()
G = "/v1/groups/{group_id}"
D = G + "/distributions/{distribution_id}"
UUID_RE = "[0-9a-fA-F-]{36}"
MEMBER = ["member"]
COORDINATOR = ["coordinator"]


async def _member(request: web.Request) -> tuple[Principal, uuid.UUID]:
    caller = await principal(request)
    group_id = path_uuid(request, "group_id")
    caller.require_member(group_id)
    return caller, group_id


async def _coordinator(request: web.Request) -> tuple[Principal, uuid.UUID]:
    caller = await principal(request)
    group_id = path_uuid(request, "group_id")
    caller.require_coordinator(group_id)
    return caller, group_id


def _person(caller: Principal) -> uuid.UUID:
    if caller.service is not None:
        raise Problem(403, "person-only", "Réservé aux membres.", "Members only.")
    try:
        return caller.user_id
    except ValueError:
        raise Problem(403, "person-only", "Réservé aux membres.", "Members only.") from None


def _db(request: web.Request) -> Any:
    return request.app[DB_KEY]


def _csv(text: str, filename: str) -> web.Response:
    return web.Response(
        body=text.encode("utf-8"),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# --- member: distributions, offer, cart, validation ----------------------------------------------


@routes.get(G + "/distributions")
@operation(
    "Distributions of the group with their state", tags=MEMBER, response=responses.Distributions
)
async def list_distributions(request: web.Request) -> web.Response:
    caller, group_id = await _member(request)
    user_id = None if caller.service else caller.user_id
    async with _db(request).connection() as conn:
        rows = await repo.list_distributions(conn, group_id, user_id)
    return json_ok(
        {
            "distributions": [
                handlers.distribution_json(
                    r,
                    r["db_now"],
                    {"order_id": str(r["order_id"]), "total_cents": r["order_total_cents"]}
                    if r["order_id"]
                    else None,
                )
                for r in rows
            ]
        }
    )


@routes.get(D)
@operation("One distribution", tags=MEMBER, response=responses.Distribution)
async def get_distribution(request: web.Request) -> web.Response:
    caller, group_id = await _member(request)
    distribution_id = path_uuid(request, "distribution_id")
    async with _db(request).connection() as conn:
        row = await handlers.require_distribution(conn, group_id, distribution_id)
        order = (
            None
            if caller.service
            else await repo.member_order(conn, distribution_id, caller.user_id)
        )
    mine = {"order_id": str(order["id"]), "total_cents": order["total_cents"]} if order else None
    return json_ok(handlers.distribution_json(row, row["db_now"], mine))


@routes.get(D + "/offer")
@operation(
    "Products offered by category, with the price for this distribution",
    tags=MEMBER,
    response=responses.Offer,
)
async def get_offer(request: web.Request) -> web.Response:
    _, group_id = await _member(request)
    distribution_id = path_uuid(request, "distribution_id")
    async with _db(request).connection() as conn:
        row = await handlers.require_distribution(conn, group_id, distribution_id)
        products = await repo.offer(conn, distribution_id)
    categories: dict[str, list[dict[str, Any]]] = {}
    for p in products:
        categories.setdefault(p["category"], []).append(
            {
                "product_id": str(p["id"]),
                "name": p["name"],
                "category": p["category"],
                "unit_label": p["unit_label"],
                "bulk": p["bulk"],
                "price_cents": p["price_cents"],
                "out_of_stock": p["stock"] is not None and p["stock"] <= 0,
            }
        )
    return json_ok(
        {
            "distribution": handlers.distribution_json(row, row["db_now"]),
            "categories": [{"name": name, "products": items} for name, items in categories.items()],
        }
    )


@routes.get(D + "/cart")
@operation(
    "My cart and validated order for a distribution (« Ma commande »)",
    tags=MEMBER,
    response=responses.Cart,
)
async def get_cart(request: web.Request) -> web.Response:
    caller, group_id = await _member(request)
    user_id = _person(caller)
    distribution_id = path_uuid(request, "distribution_id")
    async with _db(request).connection() as conn:
        row = await handlers.require_distribution(conn, group_id, distribution_id)
        cart = await handlers.cart_view(conn, row, user_id)
    return json_ok(cart)


@routes.post(D + "/cart/lines")
@operation(
    "Add a quantity of a product to my cart (« Commande »)",
    body=AddLine,
    tags=MEMBER,
    response=responses.Cart,
)
async def add_cart_line(request: web.Request) -> web.Response:
    caller, group_id = await _member(request)
    user_id = _person(caller)
    distribution_id = path_uuid(request, "distribution_id")
    body = await parse_json(request, AddLine)
    async with _db(request).transaction() as conn:
        cart = await handlers.add_line(
            conn, group_id, distribution_id, user_id, body.product_id, body.quantity
        )
    return json_ok(cart)


@routes.put(D + "/cart/lines/{product_id}")
@operation(
    "Set a line's total quantity (never below what is validated)",
    body=SetQuantity,
    tags=MEMBER,
    response=responses.Cart,
)
async def set_cart_line(request: web.Request) -> web.Response:
    caller, group_id = await _member(request)
    user_id = _person(caller)
    distribution_id = path_uuid(request, "distribution_id")
    product_id = path_uuid(request, "product_id")
    body = await parse_json(request, SetQuantity)
    async with _db(request).transaction() as conn:
        cart = await handlers.set_line(
            conn, group_id, distribution_id, user_id, product_id, body.quantity
        )
    return json_ok(cart)


@routes.delete(D + "/cart/lines/{product_id}")
@operation(
    "Remove a pending line (a validated product cannot be removed)",
    tags=MEMBER,
    response=responses.Cart,
)
async def delete_cart_line(request: web.Request) -> web.Response:
    caller, group_id = await _member(request)
    user_id = _person(caller)
    distribution_id = path_uuid(request, "distribution_id")
    product_id = path_uuid(request, "product_id")
    async with _db(request).transaction() as conn:
        cart = await handlers.remove_line(conn, group_id, distribution_id, user_id, product_id)
    return json_ok(cart)


@routes.post(D + "/order/validate")
@operation(
    "Validate my cart (« Paiement sur place »); idempotent with Idempotency-Key",
    body=ValidateOrder,
    responses={200: responses.Order, 201: responses.Order},
    tags=MEMBER,
)
async def validate_order(request: web.Request) -> web.Response:
    caller, group_id = await _member(request)
    user_id = _person(caller)
    distribution_id = path_uuid(request, "distribution_id")
    await parse_json(request, ValidateOrder)
    key = idempotency_key(request)
    scope = f"validate:{group_id}:{distribution_id}:{user_id}"
    async with _db(request).transaction() as conn:
        if key is not None:
            prior = await claim(conn, scope, key)
            if prior is not None:
                return json_ok(prior[1], prior[0])
        status, order = await handlers.validate_order(
            conn, group_id, distribution_id, user_id, None if key is None else (scope, key)
        )
    return json_ok(order, status)


@routes.get(D + "/order")
@operation("My order for a distribution", tags=MEMBER, response=responses.Order)
async def my_order(request: web.Request) -> web.Response:
    caller, group_id = await _member(request)
    user_id = _person(caller)
    distribution_id = path_uuid(request, "distribution_id")
    async with _db(request).connection() as conn:
        await handlers.require_distribution(conn, group_id, distribution_id)
        order = await repo.member_order(conn, distribution_id, user_id)
        if order is None:
            raise Problem(
                404,
                "no-order",
                "Aucune commande pour cette distribution.",
                "No order for this distribution.",
            )
        body = await handlers.order_view(conn, group_id, order)
    return json_ok(body)


@routes.get(G + "/me/orders")
@operation(
    "My last orders (« Dernières commandes »)",
    query=LastOrdersQuery,
    tags=MEMBER,
    response=responses.Orders,
)
async def my_orders(request: web.Request) -> web.Response:
    caller, group_id = await _member(request)
    user_id = _person(caller)
    query = query_model(request, LastOrdersQuery)
    async with _db(request).connection() as conn:
        orders = await repo.member_orders(conn, group_id, user_id, query.limit)
        distributions = {}
        for o in orders:
            distributions[o["distribution_id"]] = await repo.get_distribution(
                conn, group_id, o["distribution_id"]
            )
        body = await handlers.orders_view(conn, orders, distributions)
    return json_ok({"orders": body})


@routes.get(G + "/me/ledger")
@operation(
    "My balance and payment history (« Solde », « Détails paiements »)",
    tags=MEMBER,
    response=responses.Ledger,
)
async def my_ledger(request: web.Request) -> web.Response:
    caller, group_id = await _member(request)
    user_id = _person(caller)
    async with _db(request).connection() as conn:
        body = await handlers.ledger_view(conn, group_id, user_id)
    return json_ok(body)


async def _visible_order(request: web.Request, conn: Any) -> tuple[Any, uuid.UUID]:
    caller, group_id = await _member(request)
    order_id = path_uuid(request, "order_id")
    order = await repo.get_order(conn, group_id, order_id)
    coordinator = (
        caller.admin or caller.service is not None or (caller.role_in(group_id) == "coordinator")
    )
    if order is None or (not coordinator and order["user_id"] != caller.user_id):
        raise not_found("Commande", "Order")
    return order, group_id


@routes.get(G + "/orders/{order_id:" + UUID_RE + "}")
@operation(
    "One order, printable data (« imprimer ma commande »)", tags=MEMBER, response=responses.Order
)
async def get_order(request: web.Request) -> web.Response:
    async with _db(request).connection() as conn:
        order, group_id = await _visible_order(request, conn)
        body = await handlers.order_view(conn, group_id, order)
    return json_ok(body)


@routes.get(G + "/orders/{order_id:" + UUID_RE + "}.pdf")
@operation("One order as PDF", response="application/pdf", tags=MEMBER)
async def get_order_pdf(request: web.Request) -> web.Response:
    async with _db(request).connection() as conn:
        order, group_id = await _visible_order(request, conn)
        body = await handlers.order_view(conn, group_id, order)
    return web.Response(
        body=reports.order_pdf(body),
        content_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="commande-{body["order_id"][:8]}.pdf"'},
    )


# --- coordinator: catalog ------------------------------------------------------------------------


@routes.get(G + "/products")
@operation(
    "The group's catalog, inactive products included", tags=COORDINATOR, response=responses.Products
)
async def list_products(request: web.Request) -> web.Response:
    _, group_id = await _coordinator(request)
    async with _db(request).connection() as conn:
        rows = await repo.list_products(conn, group_id)
    return json_ok({"products": [handlers.product_json(r) for r in rows]})


@routes.post(G + "/products")
@operation(
    "Add a product to the catalog",
    body=ProductCreate,
    status=201,
    tags=COORDINATOR,
    response=responses.Product,
)
async def create_product(request: web.Request) -> web.Response:
    _, group_id = await _coordinator(request)
    body = await parse_json(request, ProductCreate)
    async with _db(request).transaction() as conn:
        row = await repo.insert_product(conn, uuid.uuid4(), group_id, body.model_dump())
    return json_ok(handlers.product_json(row), 201)


@routes.patch(G + "/products/{product_id:" + UUID_RE + "}")
@operation("Change a product", body=ProductPatch, tags=COORDINATOR, response=responses.Product)
async def patch_product(request: web.Request) -> web.Response:
    _, group_id = await _coordinator(request)
    product_id = path_uuid(request, "product_id")
    body = await parse_json(request, ProductPatch)
    fields = body.model_dump(exclude_unset=True)
    for name in ("name", "category", "unit_label", "unit_price_cents", "bulk", "active"):
        if name in fields and fields[name] is None:
            raise Problem(
                422,
                "invalid-input",
                f"« {name} » ne peut pas être vide.",
                f"'{name}' cannot be null.",
                errors=[{"field": name, "message": "null"}],
            )
    async with _db(request).transaction() as conn:
        row = await repo.update_product(conn, group_id, product_id, fields)
    if row is None:
        raise not_found("Produit", "Product")
    return json_ok(handlers.product_json(row))


@routes.post(G + "/products/copy")
@operation(
    "Copy this group's catalog to another group (coordinator of both)",
    body=CopyCatalog,
    tags=COORDINATOR,
    response=responses.CatalogCopied,
)
async def copy_products(request: web.Request) -> web.Response:
    caller, group_id = await _coordinator(request)
    body = await parse_json(request, CopyCatalog)
    caller.require_coordinator(body.target_group_id)
    if body.target_group_id == group_id:
        raise Problem(422, "same-group", "Choisissez un autre groupe.", "Choose another group.")
    async with _db(request).transaction() as conn:
        copied, skipped = await repo.copy_catalog(conn, group_id, body.target_group_id)
    return json_ok({"copied": copied, "skipped": skipped})


# --- coordinator: distributions and reports ------------------------------------------------------


@routes.post(G + "/distributions")
@operation(
    "Create a distribution with its products and prices",
    body=DistributionCreate,
    status=201,
    tags=COORDINATOR,
    response=responses.Distribution,
)
async def create_distribution(request: web.Request) -> web.Response:
    caller, group_id = await _coordinator(request)
    body = await parse_json(request, DistributionCreate)
    errors = schedule_errors(
        body.opens_at, body.closes_at, body.starts_at, body.ends_at, datetime.now(UTC)
    )
    if errors:
        # Rules between the dates and against today's date, which JSON Schema cannot state: the
        # request is well formed, its values conflict (422 is kept for what the schema states).
        raise Problem(
            409,
            "invalid-dates",
            "Les dates de la distribution ne sont pas cohérentes.",
            "The distribution's dates are not consistent.",
            errors=errors,
        )
    fields = body.model_dump(exclude={"products"})
    products = [(p.product_id, p.price_cents) for p in body.products]
    created_by = None if caller.service else caller.user_id
    async with _db(request).transaction() as conn:
        created = await handlers.create_distribution(conn, group_id, fields, products, created_by)
    return json_ok(created, 201)


async def _coordinator_distribution(request: web.Request, conn: Any) -> tuple[Any, uuid.UUID]:
    _, group_id = await _coordinator(request)
    distribution_id = path_uuid(request, "distribution_id")
    return await handlers.require_distribution(conn, group_id, distribution_id), group_id


@routes.get(D + "/orders")
@operation(
    "Orders of a distribution, by member (user ids; names come from accounts)",
    tags=COORDINATOR,
    response=responses.Orders,
)
async def distribution_orders(request: web.Request) -> web.Response:
    async with _db(request).connection() as conn:
        row, _ = await _coordinator_distribution(request, conn)
        orders = await handlers.orders_view(conn, await repo.distribution_orders(conn, row["id"]))
    return json_ok({"orders": orders})


@routes.get(D + "/orders.csv")
@operation("Orders of a distribution as CSV", response="text/csv", tags=COORDINATOR)
async def distribution_orders_csv(request: web.Request) -> web.Response:
    async with _db(request).connection() as conn:
        row, _ = await _coordinator_distribution(request, conn)
        orders = await handlers.orders_view(conn, await repo.distribution_orders(conn, row["id"]))
    return _csv(reports.orders_csv(orders), "commandes.csv")


@routes.get(D + "/by-product")
@operation("Orders of a distribution, by product", tags=COORDINATOR, response=responses.ByProduct)
async def distribution_by_product(request: web.Request) -> web.Response:
    async with _db(request).connection() as conn:
        row, _ = await _coordinator_distribution(request, conn)
        products = await reports.by_product(conn, row["id"])
    return json_ok({"products": products})


@routes.get(D + "/purchase-order")
@operation(
    "Purchase order: total quantity per product for a distribution",
    tags=COORDINATOR,
    response=responses.PurchaseOrder,
)
async def purchase_order(request: web.Request) -> web.Response:
    async with _db(request).connection() as conn:
        row, _ = await _coordinator_distribution(request, conn)
        lines = reports.purchase_lines(await reports.by_product(conn, row["id"]))
    return json_ok(
        {
            "distribution": handlers.distribution_json(row, row["db_now"]),
            "lines": lines,
            "total_cents": sum(ln["total_cents"] for ln in lines),
        }
    )


@routes.get(D + "/purchase-order.csv")
@operation("Purchase order as CSV", response="text/csv", tags=COORDINATOR)
async def purchase_order_csv(request: web.Request) -> web.Response:
    async with _db(request).connection() as conn:
        row, _ = await _coordinator_distribution(request, conn)
        lines = reports.purchase_lines(await reports.by_product(conn, row["id"]))
    return _csv(reports.purchase_csv(lines), "bon-de-commande.csv")


@routes.get(D + "/sheet")
@operation(
    "Distribution-day sheet: member, items, amount due, paid",
    tags=COORDINATOR,
    response=responses.Sheet,
)
async def day_sheet(request: web.Request) -> web.Response:
    async with _db(request).connection() as conn:
        row, _ = await _coordinator_distribution(request, conn)
        rows = await reports.day_sheet(conn, row["id"])
    return json_ok({"distribution": handlers.distribution_json(row, row["db_now"]), "rows": rows})


@routes.get(D + "/sheet.csv")
@operation("Distribution-day sheet as CSV", response="text/csv", tags=COORDINATOR)
async def day_sheet_csv(request: web.Request) -> web.Response:
    async with _db(request).connection() as conn:
        row, _ = await _coordinator_distribution(request, conn)
        rows = await reports.day_sheet(conn, row["id"])
    return _csv(reports.sheet_csv(rows), "feuille-distribution.csv")


# --- coordinator: payments, ledger, corrections --------------------------------------------------


@routes.post(G + "/payments")
@operation(
    "Record a payment (credit) for a member",
    body=PaymentCreate,
    status=201,
    tags=COORDINATOR,
    response=responses.Payment,
)
async def record_payment(request: web.Request) -> web.Response:
    caller, group_id = await _coordinator(request)
    recorded_by = _person(caller)
    body = await parse_json(request, PaymentCreate)
    scope = f"payment:{group_id}:{recorded_by}"

    async def record() -> tuple[int, Any]:
        payment = await handlers.record_payment(
            conn,
            group_id,
            body.user_id,
            body.amount_cents,
            body.method,
            body.distribution_id,
            recorded_by,
        )
        return 201, payment

    async with _db(request).transaction() as conn:
        status, answer = await once(conn, scope, idempotency_key(request), record)
    return json_ok(answer, status)


@routes.get(G + "/members/{user_id}/ledger")
@operation("A member's balance and ledger", tags=COORDINATOR, response=responses.Ledger)
async def member_ledger(request: web.Request) -> web.Response:
    _, group_id = await _coordinator(request)
    user_id = path_uuid(request, "user_id")
    async with _db(request).connection() as conn:
        body = await handlers.ledger_view(conn, group_id, user_id)
    return json_ok(body)


@routes.post(G + "/orders/{order_id:" + UUID_RE + "}/corrections")
@operation(
    "Correct an order (new quantities; recorded as a ledger correction); idempotent with"
    " Idempotency-Key",
    body=OrderCorrection,
    tags=COORDINATOR,
    response=responses.Order,
)
async def correct_order(request: web.Request) -> web.Response:
    caller, group_id = await _coordinator(request)
    order_id = path_uuid(request, "order_id")
    body = await parse_json(request, OrderCorrection)
    if len({ln.product_id for ln in body.lines}) != len(body.lines):
        # JSON Schema's uniqueItems compares whole lines, not one property: a conflict, as above.
        raise Problem(
            409, "duplicate-product", "Un produit apparaît deux fois.", "A product appears twice."
        )
    recorded_by = None if caller.service else caller.user_id

    async def correct() -> tuple[int, Any]:
        order = await handlers.correct_order(
            conn,
            group_id,
            order_id,
            [(ln.product_id, ln.quantity) for ln in body.lines],
            body.note,
            recorded_by,
        )
        return 200, order

    async with _db(request).transaction() as conn:
        status, answer = await once(
            conn, f"correction:{group_id}:{order_id}", idempotency_key(request), correct
        )
    return json_ok(answer, status)


# --- admin ---------------------------------------------------------------------------------------


async def _admin_range(request: web.Request) -> DateRange:
    caller = await principal(request)
    if not caller.admin:
        raise Problem(
            403,
            "admin-only",
            "Réservé aux administrateurs de l'association.",
            "Association administrators only.",
        )
    # A `to` before `from` is an empty range, hence an empty purchase order (DateRange says so in
    # the spec): no rule between two query parameters that the schema cannot state.
    return query_model(request, DateRange)


async def _purchase_lines(conn: Any, found: DateRange) -> list[dict[str, Any]]:
    if found.to < found.from_:
        return []
    # The report's query ends at midnight after `to`: 9999-12-31 has none.
    last = min(found.to, date.max - timedelta(days=1))
    return await reports.purchase_order_all_groups(conn, found.from_, last)


@routes.get("/v1/purchase-order")
@operation(
    "Purchase order across all groups for a date range (admin)",
    query=DateRange,
    tags=["admin"],
    response=responses.AssociationPurchaseOrder,
)
async def purchase_order_all(request: web.Request) -> web.Response:
    found = await _admin_range(request)
    async with _db(request).connection() as conn:
        lines = await _purchase_lines(conn, found)
    return json_ok(
        {
            "from": found.from_.isoformat(),
            "to": found.to.isoformat(),
            "lines": lines,
            "total_cents": sum(ln["total_cents"] for ln in lines),
        }
    )


@routes.get("/v1/purchase-order.csv")
@operation(
    "Purchase order across all groups as CSV (admin)",
    response="text/csv",
    query=DateRange,
    tags=["admin"],
)
async def purchase_order_all_csv(request: web.Request) -> web.Response:
    found = await _admin_range(request)
    async with _db(request).connection() as conn:
        lines = await _purchase_lines(conn, found)
    return _csv(reports.purchase_csv(lines), "bon-de-commande-vrac.csv")


@routes.get("/internal/users/{user_id}/export")
@operation(
    "Everything ordering holds about a person, in every group including those left (the web)",
    response=personal_export.OrderingExport,
    tags=["internal", "personal data"],
)
async def internal_export(request: web.Request) -> web.Response:
    await service_principal(request)
    found = await personal_export.export_user(_db(request), path_uuid(request, "user_id"))
    return json_ok(found.model_dump(mode="json"))
