"""The coordinator's dashboard (the distributions), « Créer une distribution » (place, window,
opening and closing, products and prices, slot capacity and overrides) and a distribution's hub."""

import asyncio
from typing import Any

from aiohttp import web

from ... import i18n
from ...apiclient import ApiError, ServiceDown
from ...clients import logistics, ordering
from ...formatting import time_of_day
from ...groups import GroupContext
from ...i18n import _
from ...rendering import render
from ...sessions import User
from ..common import distribution_param, page_data, page_list, redirect
from .common import catalog_products, coordinator_page, distribution
from .parsing import parse_local, parse_money, parse_overrides

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
    return render(request, "coord/dashboard.html", {"cards": page_list(cards), "tab": "coord"})


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
            "tab": "coord",
        },
        status=status,
    )


@routes.post("/g/{slug}/coord/distributions/nouvelle")
async def create_distribution(request: web.Request) -> web.StreamResponse:
    user, g = await coordinator_page(request)
    form = await request.post()
    values = {k: str(v).strip() for k, v in form.items() if isinstance(v, str)}
    chosen = {str(v) for v in form.getall("product", []) if isinstance(v, str)}
    errors: dict[str, str] = {}
    starts = parse_local(values.get("day", ""), values.get("start", ""))
    ends = parse_local(values.get("day", ""), values.get("end", ""))
    opens = parse_local(values.get("opens_day", ""), values.get("opens_time", ""))
    closes = parse_local(values.get("closes_day", ""), values.get("closes_time", ""))
    if starts is None or ends is None:
        errors["day"] = _("Indiquez la date et les heures de la distribution.")
    elif ends <= starts:
        errors["end"] = _("L'heure de fin doit être après l'heure de début.")
    if opens is None:
        errors["opens_day"] = _("Indiquez quand la commande ouvre.")
    if closes is None:
        errors["closes_day"] = _("Indiquez quand la commande ferme.")
    elif opens is not None and closes <= opens:
        errors["closes_day"] = _("La fermeture doit être après l'ouverture.")
    elif starts is not None and closes > starts:
        errors["closes_day"] = _("La commande doit fermer avant le début de la distribution.")
    for name in ("place_name", "place_address"):
        if not values.get(name):
            errors[name] = _("Ce champ est obligatoire.")
    if not chosen:
        errors["products"] = _("Choisissez au moins un produit.")
    capacity = values.get("capacity", "8")
    if not capacity.isdigit() or not 0 < int(capacity) <= 500:
        errors["capacity"] = _("Indiquez un nombre de personnes par créneau, par exemple 8.")
    overrides = parse_overrides(values.get("overrides", ""))
    if overrides is None:
        errors["overrides"] = _("Une ligne par créneau, par exemple 16:45=3.")
    products_body = _products_body(values, chosen, errors)
    if errors:
        return await _new_distribution_page(request, user, g, values, errors, chosen, 422)
    assert starts and ends and opens and closes and overrides is not None
    try:
        created = await ordering(request, user).create_distribution(
            g.id,
            {
                "starts_at": starts.isoformat(),
                "ends_at": ends.isoformat(),
                "opens_at": opens.isoformat(),
                "closes_at": closes.isoformat(),
                "place_name": values["place_name"],
                "place_address": values["place_address"],
                "products": products_body,
            },
        )
    except ApiError as error:
        if error.status not in (409, 422):
            raise
        errors = {"_form": error.message(i18n.current_language())}
        return await _new_distribution_page(request, user, g, values, errors, chosen, 422)
    distribution_id = str(created.distribution_id)
    done = await _apply_capacities(request, user, g, distribution_id, int(capacity), overrides)
    suffix = "/logistique?ok=1" if done else "/logistique?attente=1"
    return redirect(f"/g/{g.slug}/coord/d/{distribution_id}{suffix}")


def _products_body(
    values: dict[str, str], chosen: set[str], errors: dict[str, str]
) -> list[dict[str, Any]]:
    """The chosen products, each with its price for this distribution when one is typed."""
    products_body = []
    for product_id in sorted(chosen):
        item: dict[str, Any] = {"product_id": product_id}
        price_text = values.get(f"price-{product_id}", "")
        if price_text:
            cents = parse_money(price_text)
            if cents is None or cents <= 0:
                errors["products"] = _("Un prix n'est pas compris : écrivez par exemple 2,25.")
            item["price_cents"] = cents
        products_body.append(item)
    return products_body


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
    user, g = await coordinator_page(request)
    d = await distribution(request, user, g, distribution_param(request))
    return render(request, "coord/distribution.html", {"d": page_data(d), "tab": "coord"})
