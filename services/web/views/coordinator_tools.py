"""More coordinator pages: copy the catalog to another group, correct a member's order, and the
association-wide purchase order (across groups, for a date range)."""

import asyncio
import calendar
import re
import uuid
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web

from .. import i18n
from ..apiclient import API_KEY, Api, ApiError
from ..csvsafe import sanitise_csv
from ..formatting import PARIS, quantity
from ..groups import GroupContext
from ..i18n import _
from ..quantities import QuantityError, parse_quantity
from ..rendering import render
from ..sessions import User
from .admin import admin_user, forbidden_to_non_admins
from .common import as_list, form_values, redirect, routes, valid_idempotency_key
from .coordinator import _base, _did, _distribution, _names, _uuid, coordinator_page

# --- copy the catalog to another group ------------------------------------------------------------


async def _copy_targets(api: Api, user: User, g: GroupContext) -> list[dict[str, Any]]:
    """The groups this coordinator may copy into: the other groups they coordinate (an
    association admin may copy into any group)."""
    if g.me.get("admin"):
        answer = await api.call("accounts", "GET", "/v1/groups")
        found = as_list(answer, "groups")
    else:
        found = [
            m["group"]
            for m in g.me.get("memberships") or []
            if isinstance(m, dict) and m.get("role") == "coordinator"
        ]
    targets = [group for group in found if str(group["id"]) != g.id]
    return sorted(targets, key=lambda group: str(group["name"]).upper())


def _target_id(text: str | None) -> str | None:
    try:
        return str(uuid.UUID(text or ""))
    except ValueError:
        return None


async def _products(api: Api, user: User, group_id: str) -> list[dict[str, Any]]:
    answer = await api.call("ordering", "GET", f"/v1/groups/{group_id}/products", token=user.token)
    items = as_list(answer, "products")
    items.sort(key=lambda p: (str(p["category"]), str(p["name"])))
    return items


async def _copy_page(
    request: web.Request,
    user: User,
    g: GroupContext,
    target_id: str | None,
    errors: dict[str, str] | None = None,
    result: tuple[int, int] | None = None,
    status: int = 200,
) -> web.Response:
    api = request.app[API_KEY]
    targets = await _copy_targets(api, user, g)
    errors = dict(errors or {})
    target = next((t for t in targets if str(t["id"]) == target_id), None)
    if target_id is not None and target is None and "target_group_id" not in errors:
        errors["target_group_id"] = _("Choisissez un groupe dont vous êtes coordinateur.")
        status = 403 if status == 200 else status
    source = await _products(api, user, g.id)
    to_copy: list[dict[str, Any]] = []
    to_skip: list[dict[str, Any]] = []
    if target is not None and result is None:
        existing = {str(p["name"]) for p in await _products(api, user, str(target["id"]))}
        for product in source:
            (to_skip if str(product["name"]) in existing else to_copy).append(product)
    return render(
        request,
        "coord/copy_catalog.html",
        {
            "targets": targets,
            "target": target,
            "source": source,
            "to_copy": to_copy,
            "to_skip": to_skip,
            "result": result,
            "errors": errors,
            "values": {"target_group_id": target_id or ""},
            "tab": "coord",
        },
        status=status,
    )


@routes.get("/g/{slug}/coord/catalogue/copier")
async def copy_catalog_form(request: web.Request) -> web.StreamResponse:
    """The target group (a GET form: choosing only shows what would happen), then the
    confirmation: which products will be added, which are already there and stay as they are."""
    user, g = await coordinator_page(request)
    raw = request.query.get("vers")
    target_id = _target_id(raw) if raw else None
    if raw and target_id is None:
        return await _copy_page(
            request,
            user,
            g,
            None,
            {"target_group_id": _("Choisissez un groupe dans la liste.")},
            status=422,
        )
    result = None
    copied, skipped = request.query.get("copies", ""), request.query.get("ignores", "")
    if target_id and copied.isdigit() and skipped.isdigit():
        result = (int(copied), int(skipped))
    return await _copy_page(request, user, g, target_id, result=result)


@routes.post("/g/{slug}/coord/catalogue/copier")
async def copy_catalog(request: web.Request) -> web.StreamResponse:
    user, g = await coordinator_page(request)
    values = await form_values(request)
    target_id = _target_id(values.get("target_group_id"))
    api = request.app[API_KEY]
    if target_id is None:
        errors = {"target_group_id": _("Choisissez un groupe dans la liste.")}
        return await _copy_page(request, user, g, None, errors, status=422)
    if target_id not in {str(t["id"]) for t in await _copy_targets(api, user, g)}:
        errors = {"target_group_id": _("Choisissez un groupe dont vous êtes coordinateur.")}
        return await _copy_page(request, user, g, None, errors, status=403)
    try:
        # Ordering serialises copies into one group: a double click copies once.
        answer = await api.call(
            "ordering",
            "POST",
            f"/v1/groups/{g.id}/products/copy",
            token=user.token,
            json={"target_group_id": target_id},
        )
    except ApiError as error:
        if error.status not in (403, 404, 409, 422):
            raise
        message = (
            _("Choisissez un groupe dont vous êtes coordinateur.")
            if error.status == 403
            else error.message(i18n.current_language())
        )
        errors = {"target_group_id": message}
        return await _copy_page(request, user, g, None, errors, status=error.status)
    copied, skipped = int(answer.get("copied", 0)), int(answer.get("skipped", 0))
    return redirect(
        f"/g/{g.slug}/coord/catalogue/copier?vers={target_id}&copies={copied}&ignores={skipped}"
    )


# --- correct a member's order ---------------------------------------------------------------------

_FIELD = "q-"
_BASE = "b-"


def _decimal(text: Any) -> Decimal:
    try:
        return Decimal(str(text))
    except (InvalidOperation, ValueError):
        return Decimal(0)


def _parse_correction(text: str, bulk: bool) -> Decimal:
    """A corrected quantity: like the order page ("1", "0,5", "0.5"), and 0 (or empty) removes."""
    raw = text.strip().replace(" ", "")
    if raw == "" or re.fullmatch(r"0+([.,]0*)?", raw):
        return Decimal(0)
    return parse_quantity(raw, bulk)


async def _order(api: Api, user: User, g: GroupContext, did: str, oid: str) -> dict[str, Any]:
    order: dict[str, Any] = await api.call(
        "ordering", "GET", f"/v1/groups/{g.id}/orders/{oid}", token=user.token
    )
    if str(order.get("distribution_id")) != did:
        raise web.HTTPNotFound()
    return order


async def _correction_page(
    request: web.Request,
    user: User,
    g: GroupContext,
    did: str,
    order: dict[str, Any],
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> web.Response:
    api = request.app[API_KEY]
    member_id = str(order["user_id"])
    d, names, ledger, offer = await asyncio.gather(
        _distribution(api, user, g, did),
        _names(api, user, g),
        api.call(
            "ordering", "GET", f"/v1/groups/{g.id}/members/{member_id}/ledger", token=user.token
        ),
        api.call("ordering", "GET", f"{_base(g, did)}/offer", token=user.token),
    )
    lines = as_list(order, "lines")
    in_order = {str(line["product_id"]) for line in lines}
    addable = [
        p
        for category in as_list(offer, "categories")
        for p in as_list(category, "products")
        if str(p["product_id"]) not in in_order and not p.get("out_of_stock")
    ]
    if values is None:
        values = {f"{_FIELD}{line['product_id']}": quantity(line["quantity"]) for line in lines}
    corrections = [
        e
        for e in as_list(ledger, "entries")
        if e.get("kind") == "correction" and str(e.get("order_id")) == str(order["order_id"])
    ]
    return render(
        request,
        "coord/correct_order.html",
        {
            "d": d,
            "order": order,
            "lines": lines,
            "addable": addable,
            "name": names.get(member_id, _("Adhérent parti")),
            "balance_cents": int((ledger or {}).get("balance_cents", 0)),
            "corrections": corrections,
            "values": values,
            # Kept when the form comes back with errors: nothing was recorded under it.
            "idem": valid_idempotency_key(values.get("idem")),
            "errors": errors or {},
            "saved": request.query.get("ok", "") if status == 200 else "",
            "tab": "coord",
        },
        status=status,
    )


@routes.get("/g/{slug}/coord/d/{distribution_id}/commandes/{order_id}")
async def correction_form(request: web.Request) -> web.StreamResponse:
    user, g = await coordinator_page(request)
    did = _did(request)
    order = await _order(request.app[API_KEY], user, g, did, _uuid(request, "order_id"))
    return await _correction_page(request, user, g, did, order)


@routes.post("/g/{slug}/coord/d/{distribution_id}/commandes/{order_id}")
async def correct_order(request: web.Request) -> web.StreamResponse:
    """New quantities with a reason. The form carries the quantities the coordinator saw: a second
    click of the same form finds them already applied and changes nothing more; a change made
    meanwhile by someone else is shown instead of being overwritten."""
    user, g = await coordinator_page(request)
    did = _did(request)
    oid = _uuid(request, "order_id")
    api = request.app[API_KEY]
    order = await _order(api, user, g, did, oid)
    values = await form_values(request)
    current = {str(ln["product_id"]): ln for ln in as_list(order, "lines")}
    bulk_of = {pid: bool(ln.get("bulk")) for pid, ln in current.items()}
    errors: dict[str, str] = {}
    seen: dict[str, Decimal] = {}
    wanted: dict[str, Decimal] = {}
    for name, text in values.items():
        if not name.startswith(_FIELD):
            continue
        pid = _target_id(name[len(_FIELD) :])
        if pid is None:
            continue
        seen[pid] = _decimal(values.get(f"{_BASE}{pid}", "0"))
        if pid not in bulk_of and seen[pid] == 0:
            # A line the form did not show as ordered: it can only be added below.
            continue
        try:
            wanted[pid] = _parse_correction(text, bulk_of.get(pid, True))
        except QuantityError as error:
            errors[name] = str(error)
    added = _target_id(values.get("add_product"))
    add_text = values.get("add_quantity", "")
    if added is not None and add_text:
        offer = await api.call("ordering", "GET", f"{_base(g, did)}/offer", token=user.token)
        offered = {
            str(p["product_id"]): bool(p.get("bulk"))
            for c in as_list(offer, "categories")
            for p in as_list(c, "products")
        }
        if added not in offered:
            errors["add_product"] = _("Ce produit n'est pas proposé à cette distribution.")
        else:
            try:
                quantity_added = parse_quantity(add_text, offered[added])
            except QuantityError as error:
                errors["add_quantity"] = str(error)
            else:
                seen.setdefault(added, Decimal(0))
                wanted[added] = quantity_added
    elif add_text and added is None:
        errors["add_product"] = _("Choisissez le produit à ajouter.")
    note = values.get("note", "")
    if not note:
        errors["note"] = _("Indiquez la raison de la correction.")
    elif len(note) > 500:
        errors["note"] = _("Au plus 500 caractères.")
    if not errors and all(wanted[pid] == seen[pid] for pid in wanted):
        errors["_form"] = _("Aucune quantité n'a changé.")
    if errors:
        return await _correction_page(request, user, g, did, order, values, errors, status=422)
    now = {
        pid: _decimal(current[pid]["quantity"]) if pid in current else Decimal(0) for pid in wanted
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
        await api.call(
            "ordering",
            "POST",
            f"/v1/groups/{g.id}/orders/{oid}/corrections",
            token=user.token,
            json={"lines": changes, "note": note},
            headers={"Idempotency-Key": valid_idempotency_key(values.get("idem"))},
        )
    except ApiError as error:
        if error.status not in (404, 409, 422):
            raise
        message = error.message(i18n.current_language())
        errors["_form"] = message
        if error.code == "out-of-stock":
            # ordering lists the products short of stock: {"field": "product_id", "message": id}
            for item in error.errors:
                pid = str(item.get("message") or "")
                if f"{_FIELD}{pid}" in values:
                    errors[f"{_FIELD}{pid}"] = message
                elif pid and pid == added:
                    errors["add_quantity"] = message
        return await _correction_page(request, user, g, did, order, values, errors, status=422)
    return redirect(f"/g/{g.slug}/coord/d/{did}/commandes/{oid}?ok=1")


# --- association-wide purchase order --------------------------------------------------------------


def _month(today: date) -> tuple[date, date]:
    last = calendar.monthrange(today.year, today.month)[1]
    return today.replace(day=1), today.replace(day=last)


def parse_day(text: str) -> date | None:
    """« 2024-09-30 » (what a date field sends) or « 30/09/2024 » (typed by hand)."""
    raw = text.strip()
    try:
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw):
            return date.fromisoformat(raw)
        found = re.fullmatch(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})", raw)
        if found:
            return date(int(found.group(3)), int(found.group(2)), int(found.group(1)))
    except ValueError:
        return None
    return None


def _range(request: web.Request) -> tuple[dict[str, str], dict[str, str], tuple[date, date] | None]:
    first, last = _month(datetime.now(PARIS).date())
    values = {
        "du": request.query.get("du", first.isoformat()).strip(),
        "au": request.query.get("au", last.isoformat()).strip(),
    }
    errors: dict[str, str] = {}
    start, end = parse_day(values["du"]), parse_day(values["au"])
    if start is None:
        errors["du"] = _("Indiquez une date, par exemple 01/09/2024.")
    if end is None:
        errors["au"] = _("Indiquez une date, par exemple 30/09/2024.")
    elif start is not None and end < start:
        errors["au"] = _("La date de fin doit être après la date de début.")
    elif start is not None and (end - start).days > 366:
        errors["au"] = _("Au plus un an à la fois.")
    if errors or start is None or end is None:
        return values, errors, None
    return values, errors, (start, end)


@routes.get("/association/bon-de-commande")
async def association_purchase_order(request: web.Request) -> web.StreamResponse:
    # Ordering answers the association's purchase order to its administrators only.
    user = await admin_user(request)
    if user is None:
        return forbidden_to_non_admins(request)
    values, errors, dates = _range(request)
    lines: list[dict[str, Any]] = []
    total_cents = 0
    api = request.app[API_KEY]
    groups = {
        str(g["id"]): str(g["name"])
        for g in as_list(await api.call("accounts", "GET", "/v1/groups"), "groups")
    }
    if dates is not None:
        try:
            answer = await api.call(
                "ordering",
                "GET",
                "/v1/purchase-order",
                token=user.token,
                params={"from": dates[0].isoformat(), "to": dates[1].isoformat()},
            )
        except ApiError as error:
            if error.status not in (403, 422):
                raise
            errors["_form"] = error.message(i18n.current_language())
        else:
            lines = as_list(answer, "lines")
            total_cents = int(answer.get("total_cents", 0))
    return render(
        request,
        "coord/association_purchase.html",
        {
            "lines": lines,
            "total_cents": total_cents,
            "groups": groups,
            "dates": dates,
            "values": values,
            "errors": errors,
        },
        status=200 if not errors else 422,
    )


@routes.get("/association/bon-de-commande.csv")
async def association_purchase_order_csv(request: web.Request) -> web.StreamResponse:
    # Ordering answers the association's purchase order to its administrators only.
    user = await admin_user(request)
    if user is None:
        return forbidden_to_non_admins(request)
    _values, errors, dates = _range(request)
    if dates is None:
        return render(
            request,
            "error.html",
            {"title": _("Dates incorrectes"), "message": " ".join(errors.values())},
            status=422,
        )
    raw = await request.app[API_KEY].raw(
        "ordering",
        "/v1/purchase-order.csv",
        token=user.token,
        params={"from": dates[0].isoformat(), "to": dates[1].isoformat()},
    )
    filename = f"bon-de-commande-vrac-{dates[0].isoformat()}-{dates[1].isoformat()}.csv"
    return web.Response(
        body=sanitise_csv(raw.body),
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{filename}"',
        },
    )
