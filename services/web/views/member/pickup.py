"""After validation: the confirmation, the pickup status (« Besoin d'être livré », « Possibilité
de livrer », « Récupérer sa commande uniquement ») and the « créneau de passage »."""

import asyncio

from aiohttp import web

from ...apiclient import ApiError
from ...clients import logistics
from ...groups import GroupContext
from ...rendering import render
from ...sessions import User
from ..common import distribution_visit, form_values, page_data, redirect
from ..forms import check_form, posted_form
from ..refusals import refusal_message
from .common import distribution_page, logistics_state, order_or_none
from .forms import PickupChoiceForm, SlotForm, slot_messages

routes = web.RouteTableDef()


async def _pickup_page(
    request: web.Request,
    user: User,
    g: GroupContext,
    distribution_id: str,
    *,
    saved: bool = False,
    done: str = "",
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> web.Response:
    # Ordering and logistics asked at the same time: the page waits for the slower one only.
    order, (slots, pickup, reachable) = await asyncio.gather(
        order_or_none(request, user, g, distribution_id),
        logistics_state(request, user, g, distribution_id),
    )
    return render(
        request,
        "pickup.html",
        {
            "distribution_id": distribution_id,
            "order": page_data(order),
            "slots": page_data(slots),
            "pickup": page_data(pickup),
            "logistics_down": not reachable,
            "saved": saved,
            "done": done,
            "errors": errors or {},
        },
        status=status,
    )


@routes.get("/g/{slug}/d/{distribution_id}/retrait")
async def pickup_page(request: web.Request) -> web.StreamResponse:
    """Confirmation, then the pickup status and the « créneau de passage »."""
    user, g, distribution_id = await distribution_visit(request)
    return await _pickup_page(
        request,
        user,
        g,
        distribution_id,
        saved=request.query.get("enregistree") == "1",
        done=request.query.get("ok", ""),
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
    message = refusal_message(error, (404, 409, 422))
    return await _pickup_page(
        request, user, g, distribution_id, errors={field: message}, status=error.status
    )


@routes.post("/g/{slug}/d/{distribution_id}/retrait")
async def choose_pickup(request: web.Request) -> web.StreamResponse:
    """« Possibilité de livrer » or « Récupérer sa commande uniquement » (the need-delivery
    choice has its own page: address, phone and consent)."""
    user, g, distribution_id = await distribution_visit(request)
    choice = (await posted_form(request, PickupChoiceForm)).choice
    if choice == "need_delivery":
        return redirect(distribution_page(g, distribution_id, "/besoin-livraison"))
    try:
        await logistics(request, user).choose_pickup(g.id, distribution_id, {"choice": choice})
    except ApiError as error:
        return await _pickup_refused(request, user, g, distribution_id, "choice", error)
    if choice == "can_deliver":
        return redirect(distribution_page(g, distribution_id, "/demandes"))
    return redirect(distribution_page(g, distribution_id, "/retrait?ok=choix#creneau"))


@routes.post("/g/{slug}/d/{distribution_id}/creneau")
async def choose_slot(request: web.Request) -> web.StreamResponse:
    user, g, distribution_id = await distribution_visit(request)
    values = await form_values(request)
    form, errors = check_form(SlotForm, values, slot_messages)
    if form is None:
        return await _pickup_page(request, user, g, distribution_id, errors=errors, status=422)
    slot_id = form.slot_id
    client = logistics(request, user)
    try:
        try:
            await client.book_slot(g.id, distribution_id, slot_id)
        except ApiError as error:
            if error.code != "already-booked":
                raise
            await client.book_slot(g.id, distribution_id, slot_id, change=True)
    except ApiError as error:
        return await _pickup_refused(request, user, g, distribution_id, "slot_id", error)
    return redirect(distribution_page(g, distribution_id, "/retrait?ok=creneau#creneau"))


@routes.post("/g/{slug}/d/{distribution_id}/creneau/liberer")
async def release_slot(request: web.Request) -> web.StreamResponse:
    """« Libérer mon créneau »: the place goes back to the others while the order is open."""
    user, g, distribution_id = await distribution_visit(request)
    await form_values(request)
    try:
        await logistics(request, user).release_slot(g.id, distribution_id)
    except ApiError as error:
        return await _pickup_refused(request, user, g, distribution_id, "slot_id", error)
    return redirect(distribution_page(g, distribution_id, "/retrait?ok=libere#creneau"))
