"""Member routes: distributions, offer, cart, validation, my orders and ledger."""

from collections.abc import Awaitable, Callable

from aiohttp import web

from services.ordering import cart, distributions, orders, payments, responses, validation
from services.ordering.api.common import (
    MEMBER,
    UUID_RE,
    D,
    G,
    db,
    me,
    member,
    member_distribution,
    my_distribution,
    person_or_none,
)
from services.ordering.domain import MemberDistribution
from services.ordering.models import AddLine, LastOrdersQuery, SetQuantity, ValidateOrder
from services.ordering.pdf import order_pdf
from services.ordering.views import Json
from shared.bodies import parse_json, path_uuid, query_model
from shared.db import Database
from shared.http import json_ok
from shared.idempotency import idempotency_key
from shared.openapi import operation

routes = web.RouteTableDef()


async def _mine(
    request: web.Request,
    use_case: Callable[[Database, MemberDistribution], Awaitable[Json]],
) -> web.Response:
    """The calling member's own cart or order for the path's distribution."""
    return json_ok(await use_case(db(request), await my_distribution(request)))


@routes.get(G + "/distributions")
@operation(
    "Distributions of the group with their state", tags=MEMBER, response=responses.Distributions
)
async def list_distributions(request: web.Request) -> web.Response:
    caller, group_id = await member(request)
    return json_ok(
        await distributions.list_distributions(db(request), group_id, person_or_none(caller))
    )


@routes.get(D)
@operation("One distribution", tags=MEMBER, response=responses.Distribution)
async def get_distribution(request: web.Request) -> web.Response:
    caller, group_id, distribution_id = await member_distribution(request)
    return json_ok(
        await distributions.get_distribution(
            db(request), group_id, distribution_id, person_or_none(caller)
        )
    )


@routes.get(D + "/offer")
@operation(
    "Products offered by category, with the price for this distribution",
    tags=MEMBER,
    response=responses.Offer,
)
async def get_offer(request: web.Request) -> web.Response:
    _, group_id, distribution_id = await member_distribution(request)
    return json_ok(await distributions.get_offer(db(request), group_id, distribution_id))


@routes.get(D + "/cart")
@operation(
    "My cart and validated order for a distribution (« Ma commande »)",
    tags=MEMBER,
    response=responses.Cart,
)
async def get_cart(request: web.Request) -> web.Response:
    return await _mine(request, cart.get_cart)


@routes.post(D + "/cart/lines")
@operation(
    "Add a quantity of a product to my cart (« Commande »)",
    body=AddLine,
    tags=MEMBER,
    response=responses.Cart,
)
async def add_cart_line(request: web.Request) -> web.Response:
    mine = await my_distribution(request)
    body = await parse_json(request, AddLine)
    return json_ok(await cart.add_line(db(request), mine, body.product_id, body.quantity))


@routes.put(D + "/cart/lines/{product_id}")
@operation(
    "Set a line's total quantity (never below what is validated)",
    body=SetQuantity,
    tags=MEMBER,
    response=responses.Cart,
)
async def set_cart_line(request: web.Request) -> web.Response:
    mine = await my_distribution(request)
    product_id = path_uuid(request, "product_id")
    body = await parse_json(request, SetQuantity)
    return json_ok(await cart.set_line(db(request), mine, product_id, body.quantity))


@routes.delete(D + "/cart/lines/{product_id}")
@operation(
    "Remove a pending line (a validated product cannot be removed)",
    tags=MEMBER,
    response=responses.Cart,
)
async def delete_cart_line(request: web.Request) -> web.Response:
    mine = await my_distribution(request)
    product_id = path_uuid(request, "product_id")
    return json_ok(await cart.remove_line(db(request), mine, product_id))


@routes.post(D + "/order/validate")
@operation(
    "Validate my cart (« Paiement sur place »); idempotent with Idempotency-Key",
    body=ValidateOrder,
    responses={200: responses.Order, 201: responses.Order},
    tags=MEMBER,
)
async def validate_order(request: web.Request) -> web.Response:
    mine = await my_distribution(request)
    await parse_json(request, ValidateOrder)
    status, order = await validation.validate_order(db(request), mine, idempotency_key(request))
    return json_ok(order, status)


@routes.get(D + "/order")
@operation("My order for a distribution", tags=MEMBER, response=responses.Order)
async def my_order(request: web.Request) -> web.Response:
    return await _mine(request, orders.my_order)


@routes.get(G + "/me/orders")
@operation(
    "My last orders (« Dernières commandes »)",
    query=LastOrdersQuery,
    tags=MEMBER,
    response=responses.Orders,
)
async def my_orders(request: web.Request) -> web.Response:
    group_id, user_id = await me(request)
    query = query_model(request, LastOrdersQuery)
    return json_ok(await orders.my_orders(db(request), group_id, user_id, query.limit))


@routes.get(G + "/me/ledger")
@operation(
    "My balance and payment history (« Solde », « Détails paiements »)",
    tags=MEMBER,
    response=responses.Ledger,
)
async def my_ledger(request: web.Request) -> web.Response:
    group_id, user_id = await me(request)
    return json_ok(await payments.ledger(db(request), group_id, user_id))


async def _visible_order(request: web.Request) -> Json:
    """The order, for its member or for whoever coordinates the group (404 to anyone else)."""
    caller, group_id = await member(request)
    order_id = path_uuid(request, "order_id")
    sees_all = (
        caller.admin or caller.service is not None or (caller.role_in(group_id) == "coordinator")
    )
    owner = None if sees_all else caller.user_id
    return await orders.visible_order(db(request), group_id, order_id, owner)


@routes.get(G + "/orders/{order_id:" + UUID_RE + "}")
@operation(
    "One order, printable data (« imprimer ma commande »)", tags=MEMBER, response=responses.Order
)
async def get_order(request: web.Request) -> web.Response:
    return json_ok(await _visible_order(request))


@routes.get(G + "/orders/{order_id:" + UUID_RE + "}.pdf")
@operation("One order as PDF", response="application/pdf", tags=MEMBER)
async def get_order_pdf(request: web.Request) -> web.Response:
    body = await _visible_order(request)
    return web.Response(
        body=order_pdf(body),
        content_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="commande-{body["order_id"][:8]}.pdf"'},
    )
