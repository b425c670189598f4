"""The member's ordering journey: « Commandes » cards, ordering page and « Ma commande »,
« Valider » → « Paiement sur place », confirmation, pickup status, « créneau de passage »,
delivery requests for volunteers, the order page, its print version and PDF."""

import asyncio
from decimal import Decimal
from typing import Any

from aiohttp import web

from .. import i18n
from ..apiclient import API_KEY, Api, ApiError, ServiceDown
from ..formatting import phone as phone_text
from ..groups import GroupContext, member_page
from ..i18n import _
from ..quantities import QuantityError, parse_quantity
from ..rendering import render
from ..sessions import User
from ..validation import check_person, field_message, same_phone
from .common import (
    as_list,
    form_values,
    idempotency_key,
    redirect,
    routes,
    valid_idempotency_key,
)

CONSENT_FIELDS = ("address", "phone", "email")
CONSENT_TEXT_VERSION = "2026-01"
PICKUP_CHOICES = ("need_delivery", "can_deliver", "pickup_only")


def _base(g: GroupContext, distribution_id: str) -> str:
    return f"/v1/groups/{g.id}/distributions/{distribution_id}"


def _page(g: GroupContext, distribution_id: str, suffix: str = "") -> str:
    return f"/g/{g.slug}/d/{distribution_id}{suffix}"


def _uuid_param(request: web.Request, name: str) -> str:
    """An id from the path, checked (it goes into the APIs' paths)."""
    import uuid

    try:
        return str(uuid.UUID(request.match_info[name]))
    except ValueError:
        raise web.HTTPNotFound() from None


def _distribution_id(request: web.Request) -> str:
    return _uuid_param(request, "distribution_id")


@routes.get("/g/{slug}/commandes")
async def distributions(request: web.Request) -> web.StreamResponse:
    """« Commandes »: brown (not yet open), green (open), brown (closed) cards."""
    user, g = await member_page(request)
    api = request.app[API_KEY]
    answer = await api.call("ordering", "GET", f"/v1/groups/{g.id}/distributions", token=user.token)
    cards = as_list(answer, "distributions")
    closed_with_order = [d for d in cards if d.get("state") == "closed" and d.get("my_order")]
    closed_with_order = sorted(closed_with_order, key=lambda d: str(d["starts_at"]))[-3:]
    orders = await asyncio.gather(
        *(
            api.call("ordering", "GET", f"{_base(g, d['distribution_id'])}/order", token=user.token)
            for d in closed_with_order
        ),
        return_exceptions=True,
    )
    lines: dict[str, list[dict[str, Any]]] = {}
    for card, order in zip(closed_with_order, orders, strict=True):
        if isinstance(order, dict):
            lines[str(card["distribution_id"])] = as_list(order, "lines")
    open_first = sorted(
        cards,
        key=lambda d: (
            {"open": 0, "not_yet_open": 1}.get(str(d.get("state")), 2),
            str(d["starts_at"]),
        ),
    )
    return render(
        request, "distributions.html", {"cards": open_first, "lines": lines, "tab": "orders"}
    )


async def _offer_and_cart(
    api: Api, user: User, g: GroupContext, distribution_id: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    offer, cart = await asyncio.gather(
        api.call("ordering", "GET", f"{_base(g, distribution_id)}/offer", token=user.token),
        api.call("ordering", "GET", f"{_base(g, distribution_id)}/cart", token=user.token),
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
    return await _render_order_page(request, user, g, _distribution_id(request))


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
    distribution_id = _distribution_id(request)
    values = await form_values(request)
    product_id = values.get("product_id", "")
    api = request.app[API_KEY]
    offer = await api.call(
        "ordering", "GET", f"{_base(g, distribution_id)}/offer", token=user.token
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
            f"{_base(g, distribution_id)}/cart/lines/{product_id}",
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
    return redirect(_page(g, distribution_id, f"?ajoute={product_id}#p-{product_id}"))


@routes.post("/g/{slug}/d/{distribution_id}/panier/{product_id}/retirer")
async def remove_pending(request: web.Request) -> web.StreamResponse:
    """Drop a product that is not validated yet (a validated one can never be removed)."""
    user, g = await member_page(request)
    distribution_id = _distribution_id(request)
    product_id = _uuid_param(request, "product_id")
    try:
        await request.app[API_KEY].call(
            "ordering",
            "DELETE",
            f"{_base(g, distribution_id)}/cart/lines/{product_id}",
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
    return redirect(_page(g, distribution_id, "#ma-commande"))


@routes.get("/g/{slug}/d/{distribution_id}/paiement")
async def payment_choice(request: web.Request) -> web.StreamResponse:
    """After « Valider »: the payment choice « Paiement sur place » / « Sélectionner »."""
    user, g = await member_page(request)
    distribution_id = _distribution_id(request)
    cart = await request.app[API_KEY].call(
        "ordering", "GET", f"{_base(g, distribution_id)}/cart", token=user.token
    )
    if not as_list(cart, "lines"):
        return redirect(_page(g, distribution_id))
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
    distribution_id = _distribution_id(request)
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
    try:
        await request.app[API_KEY].call(
            "ordering",
            "POST",
            f"{_base(g, distribution_id)}/order/validate",
            token=user.token,
            json={"payment_method": "on_site"},
            headers={"Idempotency-Key": key},
        )
    except ApiError as error:
        if error.code == "request-in-progress":
            # The first click is still being recorded: its result will show on the next page.
            return redirect(_page(g, distribution_id, "/retrait?enregistree=1"))
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
    return redirect(_page(g, distribution_id, "/retrait?enregistree=1"))


async def _optional(call: Any) -> Any:
    try:
        return await call
    except ApiError as error:
        if error.status == 404:
            return None
        raise


async def _logistics_state(
    api: Api, user: User, g: GroupContext, distribution_id: str
) -> tuple[dict[str, Any] | None, dict[str, Any] | None, bool]:
    """(slots view, pickup view, logistics reachable)."""
    base = _base(g, distribution_id)
    try:
        slots, pickup = await asyncio.gather(
            _optional(api.call("logistics", "GET", f"{base}/slots", token=user.token)),
            _optional(api.call("logistics", "GET", f"{base}/pickup", token=user.token)),
        )
    except ServiceDown:
        return None, None, False
    return slots, pickup, True


@routes.get("/g/{slug}/d/{distribution_id}/retrait")
async def pickup_page(request: web.Request) -> web.StreamResponse:
    """Confirmation, then the pickup status and the « créneau de passage »."""
    user, g = await member_page(request)
    distribution_id = _distribution_id(request)
    api = request.app[API_KEY]
    order = await _optional(
        api.call("ordering", "GET", f"{_base(g, distribution_id)}/order", token=user.token)
    )
    slots, pickup, reachable = await _logistics_state(api, user, g, distribution_id)
    return render(
        request,
        "pickup.html",
        {
            "distribution_id": distribution_id,
            "order": order,
            "slots": slots,
            "pickup": pickup,
            "logistics_down": not reachable,
            "saved": request.query.get("enregistree") == "1",
            "done": request.query.get("ok", ""),
            "errors": {},
            "tab": "orders",
        },
    )


async def _pickup_error(
    request: web.Request,
    user: User,
    g: GroupContext,
    distribution_id: str,
    errors: dict[str, str],
    status: int,
) -> web.Response:
    api = request.app[API_KEY]
    order = await _optional(
        api.call("ordering", "GET", f"{_base(g, distribution_id)}/order", token=user.token)
    )
    slots, pickup, reachable = await _logistics_state(api, user, g, distribution_id)
    return render(
        request,
        "pickup.html",
        {
            "distribution_id": distribution_id,
            "order": order,
            "slots": slots,
            "pickup": pickup,
            "logistics_down": not reachable,
            "saved": False,
            "done": "",
            "errors": errors,
            "tab": "orders",
        },
        status=status,
    )


async def _pickup_refused(
    request: web.Request,
    user: User,
    g: GroupContext,
    distribution_id: str,
    field: str,
    error: ApiError,
) -> web.Response:
    """Logistics refused a pickup or slot change: its message next to the field."""
    if error.status not in (404, 409, 422):
        raise error
    return await _pickup_error(
        request,
        user,
        g,
        distribution_id,
        {field: error.message(i18n.current_language())},
        error.status,
    )


@routes.post("/g/{slug}/d/{distribution_id}/retrait")
async def choose_pickup(request: web.Request) -> web.StreamResponse:
    """« Possibilité de livrer » or « Récupérer sa commande uniquement » (the need-delivery
    choice has its own page: address, phone and consent)."""
    user, g = await member_page(request)
    distribution_id = _distribution_id(request)
    values = await form_values(request)
    choice = values.get("choice", "")
    if choice == "need_delivery":
        return redirect(_page(g, distribution_id, "/besoin-livraison"))
    if choice not in PICKUP_CHOICES:
        raise web.HTTPBadRequest()
    try:
        await request.app[API_KEY].call(
            "logistics",
            "PUT",
            f"{_base(g, distribution_id)}/pickup",
            token=user.token,
            json={"choice": choice},
        )
    except ApiError as error:
        return await _pickup_refused(request, user, g, distribution_id, "choice", error)
    if choice == "can_deliver":
        return redirect(_page(g, distribution_id, "/demandes"))
    return redirect(_page(g, distribution_id, "/retrait?ok=choix#creneau"))


@routes.post("/g/{slug}/d/{distribution_id}/creneau")
async def choose_slot(request: web.Request) -> web.StreamResponse:
    user, g = await member_page(request)
    distribution_id = _distribution_id(request)
    values = await form_values(request)
    slot_id = values.get("slot_id", "")
    if not slot_id:
        return await _pickup_error(
            request,
            user,
            g,
            distribution_id,
            {"slot_id": _("Choisissez un créneau dans la liste.")},
            422,
        )
    api = request.app[API_KEY]
    path = f"{_base(g, distribution_id)}/booking"
    try:
        try:
            await api.call("logistics", "POST", path, token=user.token, json={"slot_id": slot_id})
        except ApiError as error:
            if error.code != "already-booked":
                raise
            await api.call("logistics", "PUT", path, token=user.token, json={"slot_id": slot_id})
    except ApiError as error:
        return await _pickup_refused(request, user, g, distribution_id, "slot_id", error)
    return redirect(_page(g, distribution_id, "/retrait?ok=creneau#creneau"))


@routes.post("/g/{slug}/d/{distribution_id}/creneau/liberer")
async def release_slot(request: web.Request) -> web.StreamResponse:
    """« Libérer mon créneau »: the place goes back to the others while the order is open."""
    user, g = await member_page(request)
    distribution_id = _distribution_id(request)
    await form_values(request)
    try:
        await request.app[API_KEY].call(
            "logistics", "DELETE", f"{_base(g, distribution_id)}/booking", token=user.token
        )
    except ApiError as error:
        return await _pickup_refused(request, user, g, distribution_id, "slot_id", error)
    return redirect(_page(g, distribution_id, "/retrait?ok=libere#creneau"))


@routes.get("/g/{slug}/d/{distribution_id}/besoin-livraison")
async def need_delivery_form(request: web.Request) -> web.StreamResponse:
    _user, g = await member_page(request)
    me = g.me
    values = {k: str(me.get(k) or "") for k in ("phone", "street", "postcode", "city")}
    values["phone"] = phone_text(values["phone"])
    return render(
        request,
        "need_delivery.html",
        {
            "distribution_id": _distribution_id(request),
            "values": values,
            "consent": list(CONSENT_FIELDS),
            "tab": "orders",
        },
    )


@routes.post("/g/{slug}/d/{distribution_id}/besoin-livraison")
async def need_delivery(request: web.Request) -> web.StreamResponse:
    """« Besoin d'être livré »: confirm address and phone, and what may be shared."""
    user, g = await member_page(request)
    distribution_id = _distribution_id(request)
    form = await request.post()
    values = {k: str(form.get(k) or "").strip() for k in ("phone", "street", "postcode", "city")}
    consent = [f for f in CONSENT_FIELDS if f in form.getall("consent", [])]
    errors: dict[str, str] = {}
    if not values["phone"]:
        errors["phone"] = _(
            "Indiquez un numéro de téléphone pour que la personne puisse vous appeler."
        )
    for name in ("street", "postcode", "city"):
        if not values[name]:
            errors[name] = _("Indiquez votre adresse complète pour être livré.")
    if not consent:
        errors["consent"] = _(
            "Cochez au moins une information à transmettre à la personne qui vous livrera."
        )
    for name, message in check_person(values, set()).items():
        errors.setdefault(name, message)
    api = request.app[API_KEY]
    if not errors:
        # The phone is shown « 06 06 06 06 06 »: unchanged when it is the same number.
        changed = {
            k: v
            for k, v in values.items()
            if v != str(g.me.get(k) or "")
            and not (k == "phone" and same_phone(v, g.me.get("phone")))
        }
        try:
            if changed:
                await api.call("accounts", "PATCH", "/v1/me", token=user.token, json=changed)
            await api.call(
                "logistics",
                "PUT",
                f"{_base(g, distribution_id)}/pickup",
                token=user.token,
                json={
                    "choice": "need_delivery",
                    "consent": {"fields": consent, "text_version": CONSENT_TEXT_VERSION},
                },
            )
        except ApiError as error:
            if error.status not in (404, 409, 422):
                raise
            errors = {k: field_message(k) for k in error.field_errors() if k in values}
            if not errors:
                errors["_form"] = error.message(i18n.current_language())
        else:
            return redirect(_page(g, distribution_id, "/retrait?ok=livraison#creneau"))
    return render(
        request,
        "need_delivery.html",
        {
            "distribution_id": distribution_id,
            "values": values,
            "consent": consent,
            "errors": errors,
            "tab": "orders",
        },
        status=422,
    )


@routes.get("/g/{slug}/d/{distribution_id}/demandes")
async def delivery_requests(request: web.Request) -> web.StreamResponse:
    """« Possibilité de livrer »: the requests (first name, postcode, size) and « Sélectionner »."""
    user, g = await member_page(request)
    distribution_id = _distribution_id(request)
    answer = await request.app[API_KEY].call(
        "logistics", "GET", f"{_base(g, distribution_id)}/delivery-requests", token=user.token
    )
    return render(
        request,
        "requests.html",
        {
            "distribution_id": distribution_id,
            "open": as_list(answer, "open"),
            "mine": as_list(answer, "mine"),
            "taken": request.query.get("pris", ""),
            "error": "",
            "tab": "orders",
        },
    )


@routes.post("/g/{slug}/d/{distribution_id}/demandes/{request_id}")
async def claim_request(request: web.Request) -> web.StreamResponse:
    user, g = await member_page(request)
    distribution_id = _distribution_id(request)
    request_id = _uuid_param(request, "request_id")
    values = await form_values(request)
    withdraw = values.get("action") == "withdraw"
    path = f"{_base(g, distribution_id)}/delivery-requests/{request_id}/claim"
    api = request.app[API_KEY]
    try:
        await api.call("logistics", "DELETE" if withdraw else "POST", path, token=user.token)
    except ApiError as error:
        if error.status not in (403, 404, 409):
            raise
        answer = await api.call(
            "logistics", "GET", f"{_base(g, distribution_id)}/delivery-requests", token=user.token
        )
        return render(
            request,
            "requests.html",
            {
                "distribution_id": distribution_id,
                "open": as_list(answer, "open"),
                "mine": as_list(answer, "mine"),
                "taken": "",
                "error": error.message(i18n.current_language()),
                "tab": "orders",
            },
            status=error.status,
        )
    suffix = "/demandes" if withdraw else f"/demandes?pris={request_id}"
    return redirect(_page(g, distribution_id, suffix))


async def _my_order(request: web.Request) -> tuple[User, GroupContext, str, dict[str, Any]]:
    user, g = await member_page(request)
    distribution_id = _distribution_id(request)
    api = request.app[API_KEY]
    try:
        order = await api.call(
            "ordering", "GET", f"{_base(g, distribution_id)}/order", token=user.token
        )
    except ApiError as error:
        if error.status == 404:
            raise web.HTTPNotFound() from None
        raise
    return user, g, distribution_id, order


@routes.get("/g/{slug}/d/{distribution_id}/ma-commande")
async def my_order(request: web.Request) -> web.StreamResponse:
    """« ma commande »: the validated order, « imprimer ma commande », the PDF, the slot."""
    user, g, distribution_id, order = await _my_order(request)
    slots, pickup, _reachable = await _logistics_state(
        request.app[API_KEY], user, g, distribution_id
    )
    return render(
        request,
        "my_order.html",
        {"order": order, "slot": _my_slot(slots), "pickup": pickup, "tab": "orders"},
    )


def _my_slot(slots: dict[str, Any] | None) -> dict[str, Any] | None:
    for slot in as_list(slots, "slots"):
        if slot.get("mine"):
            return slot
    return None


@routes.get("/g/{slug}/d/{distribution_id}/imprimer")
async def print_order(request: web.Request) -> web.StreamResponse:
    """« imprimer ma commande »: a clean page (print stylesheet), Ctrl+P gives the same."""
    user, g, distribution_id, order = await _my_order(request)
    slots, _pickup, _reachable = await _logistics_state(
        request.app[API_KEY], user, g, distribution_id
    )
    return render(request, "print_order.html", {"order": order, "slot": _my_slot(slots)})


@routes.get("/g/{slug}/commande/{order_id}.pdf")
async def order_pdf(request: web.Request) -> web.StreamResponse:
    """The PDF is made by ordering; the page passes it on with the member's token."""
    import uuid

    user, g = await member_page(request)
    try:
        order_id = uuid.UUID(request.match_info["order_id"])
    except ValueError:
        raise web.HTTPNotFound() from None
    raw = await request.app[API_KEY].raw(
        "ordering", f"/v1/groups/{g.id}/orders/{order_id}.pdf", token=user.token
    )
    return web.Response(
        body=raw.body,
        content_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="commande-{order_id}.pdf"',
        },
    )
