"""The ordering page of a distribution with « Ma commande » (the cart), « Commande » (add a
product), removing a product not validated yet, then « Valider » → « Paiement sur place »."""

import asyncio
from decimal import Decimal
from typing import Any

from aiohttp import web

from ... import i18n
from ...apiclient import API_KEY, Api, ApiError
from ...groups import GroupContext, member_page
from ...i18n import _
from ...quantities import QuantityError, parse_quantity
from ...rendering import render
from ...sessions import User
from ..common import (
    as_list,
    distribution_api,
    distribution_param,
    form_values,
    idempotency_key,
    path_uuid,
    redirect,
    valid_idempotency_key,
)
from .common import distribution_page

routes = web.RouteTableDef()


async def _offer_and_cart(
    api: Api, user: User, g: GroupContext, distribution_id: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    base = distribution_api(g, distribution_id)
    offer, cart = await asyncio.gather(
        api.call("ordering", "GET", f"{base}/offer", token=user.token),
        api.call("ordering", "GET", f"{base}/cart", token=user.token),
    )
    return offer, cart


def _cart_quantities(cart: dict[str, Any]) -> dict[str, str]:
    return {str(line["product_id"]): str(line["quantity"]) for line in as_list(cart, "lines")}


async def _render_order_page(
    request: web.Request,
    user: User,
    g: GroupContext,
    distribution_id: str,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    status: int = 200,
) -> web.Response:
    offer, cart = await _offer_and_cart(request.app[API_KEY], user, g, distribution_id)
    return render(
        request,
        "order_page.html",
        {
            "distribution": offer["distribution"],
            "categories": as_list(offer, "categories"),
            "cart": cart,
            "in_cart": _cart_quantities(cart),
            "added": request.query.get("ajoute", ""),
            "errors": errors or {},
            "typed": typed or {},
            "idem": idempotency_key(),
            "tab": "orders",
        },
        status=status,
    )


@routes.get("/g/{slug}/d/{distribution_id}")
async def order_page(request: web.Request) -> web.StreamResponse:
    user, g = await member_page(request)
    return await _render_order_page(request, user, g, distribution_param(request))


def _find_product(offer: dict[str, Any], product_id: str) -> dict[str, Any] | None:
    for category in as_list(offer, "categories"):
        for product in as_list(category, "products"):
            if str(product["product_id"]) == product_id:
                return product
    return None


@routes.post("/g/{slug}/d/{distribution_id}/panier")
async def add_to_cart(request: web.Request) -> web.StreamResponse:
    """« Commande »: the form carries the quantity the member saw in the cart (`base`), and the
    page sets the line to base + typed quantity with a PUT: a double click sends the same total
    twice, and the cart never doubles."""
    user, g = await member_page(request)
    distribution_id = distribution_param(request)
    values = await form_values(request)
    product_id = values.get("product_id", "")
    api = request.app[API_KEY]
    offer = await api.call(
        "ordering", "GET", f"{distribution_api(g, distribution_id)}/offer", token=user.token
    )
    product = _find_product(offer, product_id)
    if product is None:
        raise web.HTTPNotFound()
    field = f"q-{product_id}"
    try:
        typed = parse_quantity(values.get("quantity", ""), bool(product.get("bulk")))
        base = Decimal(values.get("base") or "0")
        if base < 0 or base > 1000:
            base = Decimal(0)
    except QuantityError as error:
        return await _render_order_page(
            request,
            user,
            g,
            distribution_id,
            {field: str(error)},
            {product_id: values.get("quantity", "")},
            status=422,
        )
    except ArithmeticError:
        base = Decimal(0)
    total = base + typed
    try:
        await api.call(
            "ordering",
            "PUT",
            f"{distribution_api(g, distribution_id)}/cart/lines/{product_id}",
            token=user.token,
            json={"quantity": format(total, "f")},
            headers={"Idempotency-Key": valid_idempotency_key(values.get("idem"))},
        )
    except ApiError as error:
        if error.status not in (409, 422):
            raise
        return await _render_order_page(
            request,
            user,
            g,
            distribution_id,
            {field: error.message(i18n.current_language())},
            {product_id: values.get("quantity", "")},
            status=error.status,
        )
    return redirect(distribution_page(g, distribution_id, f"?ajoute={product_id}#p-{product_id}"))


@routes.post("/g/{slug}/d/{distribution_id}/panier/{product_id}/retirer")
async def remove_pending(request: web.Request) -> web.StreamResponse:
    """Drop a product that is not validated yet (a validated one can never be removed)."""
    user, g = await member_page(request)
    distribution_id = distribution_param(request)
    product_id = path_uuid(request, "product_id")
    try:
        await request.app[API_KEY].call(
            "ordering",
            "DELETE",
            f"{distribution_api(g, distribution_id)}/cart/lines/{product_id}",
            token=user.token,
        )
    except ApiError as error:
        if error.status not in (404, 409):
            raise
        return await _render_order_page(
            request,
            user,
            g,
            distribution_id,
            {"_cart": error.message(i18n.current_language())},
            status=error.status,
        )
    return redirect(distribution_page(g, distribution_id, "#ma-commande"))


@routes.get("/g/{slug}/d/{distribution_id}/paiement")
async def payment_choice(request: web.Request) -> web.StreamResponse:
    """After « Valider »: the payment choice « Paiement sur place » / « Sélectionner »."""
    user, g = await member_page(request)
    distribution_id = distribution_param(request)
    cart = await request.app[API_KEY].call(
        "ordering", "GET", f"{distribution_api(g, distribution_id)}/cart", token=user.token
    )
    if not as_list(cart, "lines"):
        return redirect(distribution_page(g, distribution_id))
    return render(
        request,
        "payment.html",
        {
            "cart": cart,
            "distribution_id": distribution_id,
            "tab": "orders",
            "idem": valid_idempotency_key(request.query.get("cle")),
        },
    )


@routes.post("/g/{slug}/d/{distribution_id}/paiement")
async def validate(request: web.Request) -> web.StreamResponse:
    user, g = await member_page(request)
    distribution_id = distribution_param(request)
    values = await form_values(request)
    key = valid_idempotency_key(values.get("idem"))
    if values.get("payment_method") != "on_site":
        raise web.HTTPBadRequest()
    if g.missing:
        return render(
            request,
            "error.html",
            {
                "title": _("Complétez votre compte"),
                "message": _(
                    "Les membres de ce groupe doivent fournir leurs coordonnées avant de "
                    "valider une commande. Cliquez sur le bandeau en haut de la page."
                ),
            },
            status=409,
        )
    saved = distribution_page(g, distribution_id, "/retrait?enregistree=1")
    try:
        await request.app[API_KEY].call(
            "ordering",
            "POST",
            f"{distribution_api(g, distribution_id)}/order/validate",
            token=user.token,
            json={"payment_method": "on_site"},
            headers={"Idempotency-Key": key},
        )
    except ApiError as error:
        if error.code == "request-in-progress":
            # The first click is still being recorded: its result will show on the next page.
            return redirect(saved)
        if error.status not in (409, 422):
            raise
        return await _render_order_page(
            request,
            user,
            g,
            distribution_id,
            {"_cart": error.message(i18n.current_language())},
            status=error.status,
        )
    return redirect(saved)
