"""« Corriger la commande »: a member's order corrected by a coordinator (new quantities, a
product added, the reason), with the member's balance and the corrections recorded."""

import asyncio
from decimal import Decimal

from aiohttp import web

from shared.clients.ordering import Order

from ...apiclient import ApiError
from ...clients import ordering
from ...formatting import quantity
from ...groups import GroupContext
from ...i18n import _
from ...rendering import render
from ...sessions import User
from ..common import (
    distribution_visit,
    form_values,
    page_data,
    page_list,
    path_uuid,
    redirect,
    uuid_or_none,
    valid_idempotency_key,
)
from ..forms import check_form
from ..refusals import refusal_message
from .common import distribution, member_names
from .correction_form import QUANTITY_FIELD, CorrectionForm, seen_quantity

routes = web.RouteTableDef()


async def _offered(
    request: web.Request, user: User, g: GroupContext, did: str, values: dict[str, str]
) -> dict[str, bool]:
    """The distribution's products (bulk or not) when the form adds one; else not read."""
    if not values.get("add_quantity") or uuid_or_none(values.get("add_product")) is None:
        return {}
    offer = await ordering(request, user).offer(g.id, did)
    return {str(p.product_id): p.bulk for c in offer.categories for p in c.products}


async def _order(request: web.Request, user: User, g: GroupContext, did: str, oid: str) -> Order:
    order = await ordering(request, user).order(g.id, oid)
    if str(order.distribution_id) != did:
        raise web.HTTPNotFound()
    return order


async def _correction_page(
    request: web.Request,
    user: User,
    g: GroupContext,
    did: str,
    order: Order,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> web.Response:
    client = ordering(request, user)
    member_id = str(order.user_id)
    d, names, ledger, offer = await asyncio.gather(
        distribution(request, user, g, did),
        member_names(request, user, g),
        client.member_ledger(g.id, member_id),
        client.offer(g.id, did),
    )
    in_order = {line.product_id for line in order.lines}
    addable = [
        p
        for category in offer.categories
        for p in category.products
        if p.product_id not in in_order and not p.out_of_stock
    ]
    if values is None:
        values = {
            f"{QUANTITY_FIELD}{line.product_id}": quantity(line.quantity) for line in order.lines
        }
    corrections = [
        e for e in ledger.entries if e.kind == "correction" and e.order_id == order.order_id
    ]
    return render(
        request,
        "coord/correct_order.html",
        {
            "d": page_data(d),
            "order": page_data(order),
            "lines": page_list(order.lines),
            "addable": page_list(addable),
            "name": names.get(member_id, _("Adhérent parti")),
            "balance_cents": ledger.balance_cents,
            "corrections": page_list(corrections),
            "values": values,
            # Kept when the form comes back with errors: nothing was recorded under it.
            "idem": valid_idempotency_key(values.get("idem")),
            "errors": errors or {},
            "saved": request.query.get("ok", "") if status == 200 else "",
        },
        status=status,
    )


@routes.get("/g/{slug}/coord/d/{distribution_id}/commandes/{order_id}")
async def correction_form(request: web.Request) -> web.StreamResponse:
    user, g, did = await distribution_visit(request, coordinator=True)
    order = await _order(request, user, g, did, path_uuid(request, "order_id"))
    return await _correction_page(request, user, g, did, order)


@routes.post("/g/{slug}/coord/d/{distribution_id}/commandes/{order_id}")
async def correct_order(request: web.Request) -> web.StreamResponse:
    """New quantities with a reason. The form carries the quantities the coordinator saw: a second
    click of the same form finds them already applied and changes nothing more; a change made
    meanwhile by someone else is shown instead of being overwritten."""
    user, g, did = await distribution_visit(request, coordinator=True)
    oid = path_uuid(request, "order_id")
    order = await _order(request, user, g, did, oid)
    values = await form_values(request)
    current = {str(ln.product_id): ln for ln in order.lines}
    context = {
        "bulk": {pid: ln.bulk for pid, ln in current.items()},
        "offered": await _offered(request, user, g, did, values),
    }
    form, errors = check_form(CorrectionForm, values, context=context)
    if form is None:
        return await _correction_page(request, user, g, did, order, values, errors, status=422)
    wanted, seen = form.wanted(), form.seen()
    now = {
        pid: seen_quantity(current[pid].quantity) if pid in current else Decimal(0)
        for pid in wanted
    }
    if all(now[pid] == wanted[pid] for pid in wanted):
        # The same correction sent twice (double click): already done, nothing more to change.
        return redirect(f"/g/{g.slug}/coord/d/{did}/commandes/{oid}?ok=1")
    if any(now[pid] != seen[pid] for pid in wanted):
        errors["_form"] = _(
            "La commande a changé entre-temps : voici les quantités actuelles. "
            "Vérifiez-les et recommencez."
        )
        return await _correction_page(request, user, g, did, order, None, errors, status=409)
    changes = [
        {"product_id": pid, "quantity": "0" if q == 0 else format(q, "f")}
        for pid, q in wanted.items()
        if q != now[pid]
    ]
    try:
        await ordering(request, user).correct_order(
            g.id,
            oid,
            {"lines": changes, "note": form.note},
            form.idem,
        )
    except ApiError as error:
        message = refusal_message(error, (404, 409, 422))
        errors["_form"] = message
        if error.code == "out-of-stock":
            # ordering lists the products short of stock: {"field": "product_id", "message": id}
            for item in error.errors:
                pid = str(item.get("message") or "")
                if pid in form.lines:
                    errors[f"{QUANTITY_FIELD}{pid}"] = message
                elif pid and pid == form.add_product:
                    errors["add_quantity"] = message
        return await _correction_page(request, user, g, did, order, values, errors, status=422)
    return redirect(f"/g/{g.slug}/coord/d/{did}/commandes/{oid}?ok=1")
