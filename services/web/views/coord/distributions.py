"""The coordinator's dashboard (the distributions), « Créer une distribution » (place, window,
opening and closing, products and prices, slot capacity and overrides) and a distribution's hub."""

import asyncio

from aiohttp import web

from ...apiclient import ApiError, ServiceDown
from ...clients import logistics, ordering
from ...formatting import time_of_day
from ...groups import GroupContext
from ...rendering import render
from ...sessions import User
from ..common import distribution_visit, form_values, page_data, page_list, redirect
from ..forms import check_form
from ..refusals import refusal_message
from .common import catalog_products, coordinator_page, distribution
from .forms import NewDistributionForm

routes = web.RouteTableDef()

NEW_DISTRIBUTION_DEFAULTS = {
    "start": "13:00",
    "end": "20:00",
    "opens_time": "08:00",
    "closes_time": "23:59",
    "capacity": "8",
    "overrides": "16:45=3",
}


@routes.get("/g/{slug}/coord")
async def dashboard(request: web.Request) -> web.StreamResponse:
    user, g = await coordinator_page(request)
    answer = await ordering(request, user).distributions(g.id)
    cards = sorted(answer, key=lambda d: d.starts_at, reverse=True)
    return render(request, "coord/dashboard.html", {"cards": page_list(cards)})


@routes.get("/g/{slug}/coord/distributions/nouvelle")
async def new_distribution_form(request: web.Request) -> web.StreamResponse:
    user, g = await coordinator_page(request)
    return await _new_distribution_page(request, user, g, dict(NEW_DISTRIBUTION_DEFAULTS), {}, None)


async def _new_distribution_page(
    request: web.Request,
    user: User,
    g: GroupContext,
    values: dict[str, str],
    errors: dict[str, str],
    chosen: set[str] | None,
    status: int = 200,
) -> web.Response:
    everything = await catalog_products(request, user, g.id)
    items = [p for p in everything if p.active]
    if chosen is None:
        chosen = {str(p.product_id) for p in items}
    return render(
        request,
        "coord/new_distribution.html",
        {
            "products": page_list(items),
            "values": values,
            "errors": errors,
            "chosen": chosen,
        },
        status=status,
    )


@routes.post("/g/{slug}/coord/distributions/nouvelle")
async def create_distribution(request: web.Request) -> web.StreamResponse:
    user, g = await coordinator_page(request)
    values = await form_values(request)
    chosen = {v for v in (await request.post()).getall("product", []) if isinstance(v, str)}
    form, errors = check_form(NewDistributionForm, {**values, "product": sorted(chosen)})
    if form is None:
        return await _new_distribution_page(request, user, g, values, errors, chosen, 422)
    try:
        created = await ordering(request, user).create_distribution(g.id, form.body())
    except ApiError as error:
        errors = {"_form": refusal_message(error, (409, 422))}
        return await _new_distribution_page(request, user, g, values, errors, chosen, 422)
    distribution_id = str(created.distribution_id)
    done = await _apply_capacities(
        request,
        user,
        g,
        distribution_id,
        int(form.capacity),
        form.slot_overrides(),
    )
    suffix = "/logistique?ok=1" if done else "/logistique?attente=1"
    return redirect(f"/g/{g.slug}/coord/d/{distribution_id}{suffix}")


async def _apply_capacities(
    request: web.Request,
    user: User,
    g: GroupContext,
    distribution_id: str,
    capacity: int,
    overrides: dict[str, int],
) -> bool:
    """Logistics learns of a new distribution from ordering's event: wait for it a little,
    then set the default capacity and the per-slot overrides."""
    client = logistics(request, user)
    for _attempt in range(20):
        try:
            view = await client.set_default_capacity(g.id, distribution_id, capacity)
        except ApiError as error:
            if error.status != 404:
                raise
            await asyncio.sleep(0.5)
            continue
        except ServiceDown:
            return False
        for slot in view.slots:
            wanted = overrides.get(time_of_day(slot.starts_at))
            if wanted is not None:
                await client.set_slot_capacity(g.id, distribution_id, slot.slot_id, wanted)
        return True
    return False


@routes.get("/g/{slug}/coord/d/{distribution_id}")
async def distribution_hub(request: web.Request) -> web.StreamResponse:
    user, g, did = await distribution_visit(request, coordinator=True)
    d = await distribution(request, user, g, did)
    return render(request, "coord/distribution.html", {"d": page_data(d)})
