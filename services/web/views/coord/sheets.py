"""A distribution's sheets: orders by member and by product, purchase order, CSV exports, the
distribution-day sheet and the payments recorded from it."""

import asyncio
import uuid
from typing import Any

from aiohttp import web

from ... import i18n
from ...apiclient import API_KEY, ApiError
from ...csvsafe import sanitise_csv
from ...formatting import time_of_day
from ...i18n import _
from ...rendering import render
from ..common import (
    as_list,
    distribution_api,
    distribution_param,
    form_values,
    idempotency_key,
    redirect,
    valid_idempotency_key,
)
from .common import coordination, coordinator_page, distribution, member_names
from .parsing import parse_money

routes = web.RouteTableDef()

PAYMENT_METHODS = ("cash", "cheque", "card", "transfer")
CSV_KINDS = {
    "commandes": "orders.csv",
    "bon-de-commande": "purchase-order.csv",
    "feuille": "sheet.csv",
}


@routes.get("/g/{slug}/coord/d/{distribution_id}/commandes")
async def orders_by_member(request: web.Request) -> web.StreamResponse:
    user, g = await coordinator_page(request)
    did = distribution_param(request)
    api = request.app[API_KEY]
    d, answer, names = await asyncio.gather(
        distribution(api, user, g, did),
        api.call("ordering", "GET", f"{distribution_api(g, did)}/orders", token=user.token),
        member_names(api, user, g),
    )
    orders = as_list(answer, "orders")
    orders.sort(key=lambda o: names.get(str(o["user_id"]), "~").upper())
    return render(
        request, "coord/orders.html", {"d": d, "orders": orders, "names": names, "tab": "coord"}
    )


@routes.get("/g/{slug}/coord/d/{distribution_id}/produits")
async def orders_by_product(request: web.Request) -> web.StreamResponse:
    user, g = await coordinator_page(request)
    did = distribution_param(request)
    api = request.app[API_KEY]
    d, answer, names = await asyncio.gather(
        distribution(api, user, g, did),
        api.call("ordering", "GET", f"{distribution_api(g, did)}/by-product", token=user.token),
        member_names(api, user, g),
    )
    return render(
        request,
        "coord/by_product.html",
        {"d": d, "products": as_list(answer, "products"), "names": names, "tab": "coord"},
    )


@routes.get("/g/{slug}/coord/d/{distribution_id}/bon-de-commande")
async def purchase_order(request: web.Request) -> web.StreamResponse:
    user, g = await coordinator_page(request)
    did = distribution_param(request)
    answer = await request.app[API_KEY].call(
        "ordering", "GET", f"{distribution_api(g, did)}/purchase-order", token=user.token
    )
    return render(
        request,
        "coord/purchase_order.html",
        {
            "d": answer["distribution"],
            "lines": as_list(answer, "lines"),
            "total_cents": answer.get("total_cents", 0),
            "tab": "coord",
        },
    )


@routes.get("/g/{slug}/coord/d/{distribution_id}/export/{kind}.csv")
async def export_csv(request: web.Request) -> web.StreamResponse:
    user, g = await coordinator_page(request)
    did = distribution_param(request)
    target = CSV_KINDS.get(request.match_info["kind"])
    if target is None:
        raise web.HTTPNotFound()
    raw = await request.app[API_KEY].raw(
        "ordering", f"{distribution_api(g, did)}/{target}", token=user.token
    )
    filename = f"{g.slug}-{request.match_info['kind']}-{did[:8]}.csv"
    return web.Response(
        body=sanitise_csv(raw.body),
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{filename}"',
        },
    )


def _sections(
    rows: list[dict[str, Any]], names: dict[str, str], coordination_view: dict[str, Any] | None
) -> list[tuple[str, list[dict[str, Any]]]]:
    """The sheet's rows by slot (« 16:45 – 17:00 », then « Sans créneau »), by name in each."""
    slot_of: dict[str, dict[str, Any]] = {}
    for slot_view in as_list(coordination_view, "slots"):
        for member_id in slot_view.get("user_ids") or []:
            slot_of[str(member_id)] = slot_view
    groups: dict[str, list[dict[str, Any]]] = {}
    order: list[tuple[str, str]] = []
    for row in sorted(rows, key=lambda r: names.get(str(r["user_id"]), "~").upper()):
        slot = slot_of.get(str(row["user_id"]))
        key = str(slot["starts_at"]) if slot else "~"
        if key not in groups:
            groups[key] = []
            order.append(
                (
                    key,
                    f"{time_of_day(slot['starts_at'])} – {time_of_day(slot['ends_at'])}"
                    if slot
                    else _("Sans créneau"),
                )
            )
        groups[key].append(row)
    return [(label, groups[key]) for key, label in sorted(order)]


@routes.get("/g/{slug}/coord/d/{distribution_id}/feuille")
async def day_sheet(request: web.Request) -> web.StreamResponse:
    """Distribution-day sheet: per slot, member, items, amount due, paid box — and the payment
    form for each member (hidden when printed)."""
    user, g = await coordinator_page(request)
    did = distribution_param(request)
    api = request.app[API_KEY]
    d, sheet, names, coordination_view = await asyncio.gather(
        distribution(api, user, g, did),
        api.call("ordering", "GET", f"{distribution_api(g, did)}/sheet", token=user.token),
        member_names(api, user, g),
        coordination(api, user, g, did),
    )
    return render(
        request,
        "coord/sheet.html",
        {
            "d": d,
            "sections": _sections(as_list(sheet, "rows"), names, coordination_view),
            "names": names,
            "idem": idempotency_key(),
            "methods": PAYMENT_METHODS,
            "paid_ok": request.query.get("paye", ""),
            "error": "",
            "tab": "coord",
        },
    )


@routes.post("/g/{slug}/coord/d/{distribution_id}/paiements")
async def record_payment(request: web.Request) -> web.StreamResponse:
    user, g = await coordinator_page(request)
    did = distribution_param(request)
    values = await form_values(request)
    cents = parse_money(values.get("amount", ""))
    method = values.get("method", "")
    try:
        member_id = str(uuid.UUID(values.get("user_id", "")))
    except ValueError:
        raise web.HTTPBadRequest() from None
    error = ""
    if cents is None or cents == 0:
        error = _("Indiquez le montant payé en euros, par exemple 9,68.")
    elif method not in PAYMENT_METHODS:
        error = _("Choisissez le moyen de paiement.")
    if not error:
        try:
            await request.app[API_KEY].call(
                "ordering",
                "POST",
                f"/v1/groups/{g.id}/payments",
                token=user.token,
                json={
                    "user_id": member_id,
                    "amount_cents": cents,
                    "method": method,
                    "distribution_id": did,
                },
                headers={"Idempotency-Key": valid_idempotency_key(values.get("idem"))},
            )
        except ApiError as api_error:
            if api_error.status not in (404, 409, 422):
                raise
            error = api_error.message(i18n.current_language())
        else:
            return redirect(f"/g/{g.slug}/coord/d/{did}/feuille?paye={member_id}#m-{member_id}")
    return render(
        request, "error.html", {"title": _("Paiement non enregistré"), "message": error}, status=422
    )
