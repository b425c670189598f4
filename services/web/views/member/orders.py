"""« Commandes » (the distributions' cards), « ma commande » (the validated order), its print
version and its PDF."""

import asyncio
import uuid
from typing import Any

from aiohttp import web

from shared.clients.logistics import SlotsView
from shared.clients.ordering import Order

from ...apiclient import API_KEY, ApiError
from ...clients import ordering
from ...groups import GroupContext, member_page
from ...rendering import render
from ...sessions import User
from ..common import distribution_visit, page_data, page_list
from .common import logistics_state

routes = web.RouteTableDef()


@routes.get("/g/{slug}/commandes")
async def distributions(request: web.Request) -> web.StreamResponse:
    """« Commandes »: brown (not yet open), green (open), brown (closed) cards."""
    user, g = await member_page(request)
    client = ordering(request, user)
    cards = await client.distributions(g.id)
    closed_with_order = [d for d in cards if d.state == "closed" and d.my_order]
    closed_with_order = sorted(closed_with_order, key=lambda d: d.starts_at)[-3:]
    orders = await asyncio.gather(
        *(client.my_order(g.id, d.distribution_id) for d in closed_with_order),
        return_exceptions=True,
    )
    lines: dict[str, list[dict[str, Any]]] = {}
    for card, order in zip(closed_with_order, orders, strict=True):
        if isinstance(order, Order):
            lines[str(card.distribution_id)] = page_list(order.lines)
    open_first = sorted(
        cards, key=lambda d: ({"open": 0, "not_yet_open": 1}.get(d.state, 2), d.starts_at)
    )
    return render(
        request,
        "distributions.html",
        {"cards": page_list(open_first), "lines": lines},
    )


async def _my_order(request: web.Request) -> tuple[User, GroupContext, str, Order]:
    user, g, distribution_id = await distribution_visit(request)
    try:
        order = await ordering(request, user).my_order(g.id, distribution_id)
    except ApiError as error:
        if error.status == 404:
            raise web.HTTPNotFound() from None
        raise
    return user, g, distribution_id, order


def _my_slot(slots: SlotsView | None) -> dict[str, Any] | None:
    return page_data(slots.my_slot() if slots else None)


@routes.get("/g/{slug}/d/{distribution_id}/ma-commande")
async def my_order(request: web.Request) -> web.StreamResponse:
    """« ma commande »: the validated order, « imprimer ma commande », the PDF, the slot."""
    user, g, distribution_id, order = await _my_order(request)
    slots, pickup, _reachable = await logistics_state(request, user, g, distribution_id)
    return render(
        request,
        "my_order.html",
        {
            "order": page_data(order),
            "slot": _my_slot(slots),
            "pickup": page_data(pickup),
        },
    )


@routes.get("/g/{slug}/d/{distribution_id}/imprimer")
async def print_order(request: web.Request) -> web.StreamResponse:
    """« imprimer ma commande »: a clean page (print stylesheet), Ctrl+P gives the same."""
    user, g, distribution_id, order = await _my_order(request)
    slots, _pickup, _reachable = await logistics_state(request, user, g, distribution_id)
    return render(request, "print_order.html", {"order": page_data(order), "slot": _my_slot(slots)})


@routes.get("/g/{slug}/commande/{order_id}.pdf")
async def order_pdf(request: web.Request) -> web.StreamResponse:
    """The PDF is made by ordering; the page passes it on with the member's token."""
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
