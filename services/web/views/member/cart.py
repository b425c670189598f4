"""The ordering page of a distribution with « Ma commande » (the cart), « Commande » (add a
product), removing a product not validated yet, then « Valider » → « Paiement sur place »."""

import asyncio

from aiohttp import web

from shared.clients.ordering import Cart

from ...apiclient import ApiError
from ...catalog import catalog_html
from ...clients import ordering
from ...groups import GroupContext
from ...i18n import _
from ...rendering import csrf_token, render
from ...sessions import User
from ..common import (
    distribution_visit,
    form_values,
    idempotency_key,
    page_data,
    path_uuid,
    redirect,
    valid_idempotency_key,
)
from ..forms import check_form, posted_form
from ..refusals import refusal_message
from .common import distribution_page
from .forms import CartLineForm, PaymentChoiceForm, cart_line_messages

routes = web.RouteTableDef()


def _cart_quantities(cart: Cart) -> dict[str, str]:
    return {str(line.product_id): line.quantity for line in cart.lines}


async def _render_order_page(
    request: web.Request,
    user: User,
    g: GroupContext,
    distribution_id: str,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    status: int = 200,
) -> web.Response:
    client = ordering(request, user)
    offer, cart = await asyncio.gather(
        client.offer(g.id, distribution_id), client.cart(g.id, distribution_id)
    )
    idem = idempotency_key()
    member = {
        "csrf_token": csrf_token(request),
        "idem": idem,
        "in_cart": _cart_quantities(cart),
        "added": request.query.get("ajoute", ""),
        "errors": errors or {},
        "typed": typed or {},
    }
    return render(
        request,
        "order_page.html",
        {
            "distribution": page_data(offer.distribution),
            "catalog": catalog_html(request, offer, g.slug, member),
            "cart": page_data(cart),
            "errors": errors or {},
            "idem": idem,
        },
        status=status,
    )


async def _cart_refused(
    request: web.Request,
    user: User,
    g: GroupContext,
    distribution_id: str,
    error: ApiError,
    statuses: tuple[int, ...],
) -> web.Response:
    """Ordering refused a change of the cart: the order page with its message above the cart."""
    message = refusal_message(error, statuses)
    return await _render_order_page(
        request, user, g, distribution_id, {"_cart": message}, status=error.status
    )


@routes.get("/g/{slug}/d/{distribution_id}")
async def order_page(request: web.Request) -> web.StreamResponse:
    user, g, distribution_id = await distribution_visit(request)
    return await _render_order_page(request, user, g, distribution_id)


@routes.post("/g/{slug}/d/{distribution_id}/panier")
async def add_to_cart(request: web.Request) -> web.StreamResponse:
    """« Commande »: the form carries the quantity the member saw in the cart (`base`), and the
    page sets the line to base + typed quantity with a PUT: a double click sends the same total
    twice, and the cart never doubles."""
    user, g, distribution_id = await distribution_visit(request)
    values = await form_values(request)
    product_id = values.get("product_id", "")
    client = ordering(request, user)
    offer = await client.offer(g.id, distribution_id)
    product = offer.product(product_id)
    if product is None:
        raise web.HTTPNotFound()
    field = f"q-{product_id}"
    typed = {product_id: values.get("quantity", "")}
    form, errors = check_form(
        CartLineForm,
        values,
        cart_line_messages,
        under={"quantity": field},
        context={"bulk": product.bulk},
    )
    if form is None:
        return await _render_order_page(request, user, g, distribution_id, errors, typed, 422)
    total = form.base + form.quantity
    try:
        await client.set_cart_line(g.id, distribution_id, product_id, format(total, "f"), form.idem)
    except ApiError as error:
        errors = {field: refusal_message(error, (409, 422))}
        return await _render_order_page(
            request, user, g, distribution_id, errors, typed, status=error.status
        )
    return redirect(distribution_page(g, distribution_id, f"?ajoute={product_id}#p-{product_id}"))


@routes.post("/g/{slug}/d/{distribution_id}/panier/{product_id}/retirer")
async def remove_pending(request: web.Request) -> web.StreamResponse:
    """Drop a product that is not validated yet (a validated one can never be removed)."""
    user, g, distribution_id = await distribution_visit(request)
    product_id = path_uuid(request, "product_id")
    try:
        await ordering(request, user).remove_cart_line(g.id, distribution_id, product_id)
    except ApiError as error:
        return await _cart_refused(request, user, g, distribution_id, error, (404, 409))
    return redirect(distribution_page(g, distribution_id, "#ma-commande"))


@routes.get("/g/{slug}/d/{distribution_id}/paiement")
async def payment_choice(request: web.Request) -> web.StreamResponse:
    """After « Valider »: the payment choice « Paiement sur place » / « Sélectionner »."""
    user, g, distribution_id = await distribution_visit(request)
    cart = await ordering(request, user).cart(g.id, distribution_id)
    if not cart.lines:
        return redirect(distribution_page(g, distribution_id))
    return render(
        request,
        "payment.html",
        {
            "cart": page_data(cart),
            "distribution_id": distribution_id,
            "idem": valid_idempotency_key(request.query.get("cle")),
        },
    )


@routes.post("/g/{slug}/d/{distribution_id}/paiement")
async def validate(request: web.Request) -> web.StreamResponse:
    user, g, distribution_id = await distribution_visit(request)
    form = await posted_form(request, PaymentChoiceForm)
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
        await ordering(request, user).validate_order(
            g.id, distribution_id, form.payment_method, form.idem
        )
    except ApiError as error:
        if error.code == "request-in-progress":
            # The first click is still being recorded: its result will show on the next page.
            return redirect(saved)
        return await _cart_refused(request, user, g, distribution_id, error, (409, 422))
    return redirect(saved)
