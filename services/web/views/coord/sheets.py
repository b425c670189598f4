"""A distribution's sheets: orders by member and by product, purchase order, CSV exports, the
distribution-day sheet and the payments recorded from it."""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel

from shared.clients.logistics import CoordinationView, SlotAttendance
from shared.clients.ordering import OrderingClient, SheetRow

from ...apiclient import API_KEY, ApiError
from ...clients import ordering
from ...formatting import time_of_day
from ...i18n import _
from ...rendering import render
from ..common import (
    csv_download,
    distribution_api,
    distribution_visit,
    form_values,
    idempotency_key,
    page_data,
    page_list,
    redirect,
)
from ..forms import check_form
from ..refusals import refusal_message
from .common import distribution, distribution_overview, member_names
from .forms import PAYMENT_METHODS, PAYMENT_UNDER, PaymentForm, payment_messages

routes = web.RouteTableDef()
M = TypeVar("M", bound=BaseModel)

CSV_KINDS = {
    "commandes": "orders.csv",
    "bon-de-commande": "purchase-order.csv",
    "feuille": "sheet.csv",
}


async def _report_page(
    request: web.Request,
    template: str,
    key: str,
    report: Callable[[OrderingClient, str, str], Awaitable[list[M]]],
    sort_key: Callable[[M, dict[str, str]], str] | None = None,
) -> web.Response:
    """A report of the distribution with the members' names (orders by member, by product)."""
    user, g, did = await distribution_visit(request, coordinator=True)
    d, items, names = await asyncio.gather(
        distribution(request, user, g, did),
        report(ordering(request, user), g.id, did),
        member_names(request, user, g),
    )
    if sort_key is not None:
        items.sort(key=lambda item: sort_key(item, names))
    return render(
        request,
        template,
        {"d": page_data(d), key: page_list(items), "names": names},
    )


@routes.get("/g/{slug}/coord/d/{distribution_id}/commandes")
async def orders_by_member(request: web.Request) -> web.StreamResponse:
    return await _report_page(
        request,
        "coord/orders.html",
        "orders",
        OrderingClient.orders,
        lambda order, names: names.get(str(order.user_id), "~").upper(),
    )


@routes.get("/g/{slug}/coord/d/{distribution_id}/produits")
async def orders_by_product(request: web.Request) -> web.StreamResponse:
    return await _report_page(
        request, "coord/by_product.html", "products", OrderingClient.by_product
    )


@routes.get("/g/{slug}/coord/d/{distribution_id}/bon-de-commande")
async def purchase_order(request: web.Request) -> web.StreamResponse:
    user, g, did = await distribution_visit(request, coordinator=True)
    answer = await ordering(request, user).purchase_order(g.id, did)
    return render(
        request,
        "coord/purchase_order.html",
        {
            "d": page_data(answer.distribution),
            "lines": page_list(answer.lines),
            "total_cents": answer.total_cents,
        },
    )


@routes.get("/g/{slug}/coord/d/{distribution_id}/export/{kind}.csv")
async def export_csv(request: web.Request) -> web.StreamResponse:
    user, g, did = await distribution_visit(request, coordinator=True)
    target = CSV_KINDS.get(request.match_info["kind"])
    if target is None:
        raise web.HTTPNotFound()
    raw = await request.app[API_KEY].raw(
        "ordering", f"{distribution_api(g, did)}/{target}", token=user.token
    )
    filename = f"{g.slug}-{request.match_info['kind']}-{did[:8]}.csv"
    return csv_download(raw.body, filename)


def _sections(
    rows: list[SheetRow], names: dict[str, str], coordination_view: CoordinationView | None
) -> list[tuple[str, list[dict[str, Any]]]]:
    """The sheet's rows by slot (« 16:45 – 17:00 », then « Sans créneau »), by name in each."""
    slot_of: dict[uuid.UUID, SlotAttendance] = {}
    for slot_view in coordination_view.slots if coordination_view else []:
        for member_id in slot_view.user_ids:
            slot_of[member_id] = slot_view
    groups: dict[str, list[dict[str, Any]]] = {}
    order: list[tuple[str, str]] = []
    for row in sorted(rows, key=lambda r: names.get(str(r.user_id), "~").upper()):
        slot = slot_of.get(row.user_id)
        key = slot.starts_at.isoformat() if slot else "~"
        if key not in groups:
            groups[key] = []
            order.append(
                (
                    key,
                    f"{time_of_day(slot.starts_at)} – {time_of_day(slot.ends_at)}"
                    if slot
                    else _("Sans créneau"),
                )
            )
        groups[key].append(page_data(row))
    return [(label, groups[key]) for key, label in sorted(order)]


@routes.get("/g/{slug}/coord/d/{distribution_id}/feuille")
async def day_sheet(request: web.Request) -> web.StreamResponse:
    """Distribution-day sheet: per slot, member, items, amount due, paid box — and the payment
    form for each member (hidden when printed)."""
    user, g, did = await distribution_visit(request, coordinator=True)
    (d, names, coordination_view), sheet = await asyncio.gather(
        distribution_overview(request, user, g, did), ordering(request, user).sheet(g.id, did)
    )
    return render(
        request,
        "coord/sheet.html",
        {
            "d": page_data(d),
            "sections": _sections(sheet.rows, names, coordination_view),
            "names": names,
            "idem": idempotency_key(),
            "methods": PAYMENT_METHODS,
            "paid_ok": request.query.get("paye", ""),
            "error": "",
        },
    )


@routes.post("/g/{slug}/coord/d/{distribution_id}/paiements")
async def record_payment(request: web.Request) -> web.StreamResponse:
    user, g, did = await distribution_visit(request, coordinator=True)
    form, errors = check_form(
        PaymentForm, await form_values(request), payment_messages, PAYMENT_UNDER
    )
    if "user_id" in errors:
        raise web.HTTPBadRequest()
    # One message: the amount's first.
    error = errors.get("amount") or errors.get("method") or ""
    if form is not None:
        member_id = form.user_id
        try:
            await ordering(request, user).record_payment(
                g.id,
                {
                    "user_id": member_id,
                    "amount_cents": form.amount,
                    "method": form.method,
                    "distribution_id": did,
                },
                form.idem,
            )
        except ApiError as api_error:
            error = refusal_message(api_error, (404, 409, 422))
        else:
            return redirect(f"/g/{g.slug}/coord/d/{did}/feuille?paye={member_id}#m-{member_id}")
    return render(
        request, "error.html", {"title": _("Paiement non enregistré"), "message": error}, status=422
    )
