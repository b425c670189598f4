"""Coordinator pages: catalog, new distribution (with slot capacities), orders by member and by
product, purchase order, CSV exports, distribution-day sheet, payments, slots and deliveries."""

import asyncio
import re
import uuid
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web

from .. import i18n
from ..apiclient import API_KEY, Api, ApiError, ServiceDown
from ..csvsafe import sanitise_csv
from ..formatting import PARIS
from ..groups import GroupContext, member_page
from ..i18n import _
from ..rendering import render
from ..sessions import User
from .common import (
    as_list,
    form_values,
    idempotency_key,
    redirect,
    routes,
    valid_idempotency_key,
)

PAYMENT_METHODS = ("cash", "cheque", "card", "transfer")
CSV_KINDS = {
    "commandes": "orders.csv",
    "bon-de-commande": "purchase-order.csv",
    "feuille": "sheet.csv",
}
_SLOT_OVERRIDE = re.compile(r"^\s*([0-9]{1,2})[:h]([0-9]{2})\s*[=:]\s*([0-9]{1,3})\s*$")


async def coordinator_page(request: web.Request) -> tuple[User, GroupContext]:
    user, g = await member_page(request, coordinator=True)
    return user, g


def _uuid(request: web.Request, name: str) -> str:
    try:
        return str(uuid.UUID(request.match_info[name]))
    except ValueError:
        raise web.HTTPNotFound() from None


def _did(request: web.Request) -> str:
    return _uuid(request, "distribution_id")


def _base(g: GroupContext, distribution_id: str) -> str:
    return f"/v1/groups/{g.id}/distributions/{distribution_id}"


async def _names(api: Api, user: User, g: GroupContext) -> dict[str, str]:
    answer = await api.call("accounts", "GET", f"/v1/groups/{g.id}/members", token=user.token)
    return {
        str(m["user_id"]): str(m.get("display_name") or m.get("first_name") or "")
        for m in as_list(answer, "members")
    }


def parse_money(text: str) -> int | None:
    """« 2,25 » or « 2.25 » euros → 225 cents; None when it is not an amount."""
    raw = text.strip().replace(" ", "").replace("€", "").replace(",", ".")
    if not re.fullmatch(r"-?[0-9]{1,6}(\.[0-9]{1,2})?", raw):
        return None
    try:
        return int((Decimal(raw) * 100).to_integral_value())
    except InvalidOperation:
        return None


def parse_local(day: str, hour: str) -> datetime | None:
    """A date (YYYY-MM-DD) and a time (HH:MM) typed in Europe/Paris."""
    try:
        return datetime.combine(
            date.fromisoformat(day.strip()), time.fromisoformat(hour.strip())
        ).replace(tzinfo=PARIS)
    except ValueError:
        return None


def parse_overrides(text: str) -> dict[str, int] | None:
    """Lines like « 16:45=3 » → {"16:45": 3}; None when a line is not understood."""
    found: dict[str, int] = {}
    for line in text.replace(",", "\n").splitlines():
        if not line.strip():
            continue
        match = _SLOT_OVERRIDE.match(line)
        if match is None:
            return None
        hour, minute, capacity = match.groups()
        found[f"{int(hour):02d}:{minute}"] = int(capacity)
    return found


@routes.get("/g/{slug}/coord")
async def dashboard(request: web.Request) -> web.StreamResponse:
    user, g = await coordinator_page(request)
    answer = await request.app[API_KEY].call(
        "ordering", "GET", f"/v1/groups/{g.id}/distributions", token=user.token
    )
    cards = sorted(
        as_list(answer, "distributions"), key=lambda d: str(d["starts_at"]), reverse=True
    )
    return render(request, "coord/dashboard.html", {"cards": cards, "tab": "coord"})


@routes.get("/g/{slug}/coord/produits")
async def products(request: web.Request) -> web.StreamResponse:
    user, g = await coordinator_page(request)
    return await _products_page(request, user, g)


async def _products_page(
    request: web.Request,
    user: User,
    g: GroupContext,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> web.Response:
    answer = await request.app[API_KEY].call(
        "ordering", "GET", f"/v1/groups/{g.id}/products", token=user.token
    )
    items = sorted(as_list(answer, "products"), key=lambda p: (str(p["category"]), str(p["name"])))
    return render(
        request,
        "coord/products.html",
        {
            "products": items,
            "errors": errors or {},
            "values": values or {"category": "Autres"},
            "saved": request.query.get("ok", ""),
            "tab": "coord",
        },
        status=status,
    )


def _product_body(values: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for name in ("name", "category", "unit_label"):
        if not values.get(name):
            errors[name] = _("Ce champ est obligatoire.")
        body[name] = values.get(name, "")
    cents = parse_money(values.get("price", ""))
    if cents is None or cents <= 0:
        errors["price"] = _("Indiquez un prix en euros, par exemple 2,25.")
    body["unit_price_cents"] = cents or 0
    body["bulk"] = values.get("bulk") == "on"
    stock = values.get("stock", "").replace(",", ".")
    if stock:
        try:
            if Decimal(stock) < 0:
                raise InvalidOperation
        except InvalidOperation:
            errors["stock"] = _("Indiquez un stock en chiffres, ou laissez vide (illimité).")
        body["stock"] = stock
    else:
        body["stock"] = None
    body["active"] = values.get("active", "on") == "on"
    return body


def _product_refusal(error: ApiError) -> dict[str, str]:
    """Ordering's refusal next to the product form's fields, in the catalog's words (its field
    messages are pydantic's English)."""
    messages = {
        "price": _("Indiquez un prix en euros, par exemple 2,25."),
        "stock": _("Indiquez un stock en chiffres, ou laissez vide (illimité)."),
    }
    errors: dict[str, str] = {}
    for name in error.field_errors():
        key = "price" if name == "unit_price_cents" else name
        errors.setdefault(key, messages.get(key) or _("Cette valeur n'est pas valide."))
    errors.setdefault("_form", error.message(i18n.current_language()))
    return errors


@routes.post("/g/{slug}/coord/produits")
async def create_product(request: web.Request) -> web.StreamResponse:
    user, g = await coordinator_page(request)
    values = await form_values(request)
    errors: dict[str, str] = {}
    body = _product_body(values, errors)
    if not errors:
        try:
            await request.app[API_KEY].call(
                "ordering", "POST", f"/v1/groups/{g.id}/products", token=user.token, json=body
            )
        except ApiError as error:
            if error.status not in (409, 422):
                raise
            errors = _product_refusal(error)
        else:
            return redirect(f"/g/{g.slug}/coord/produits?ok=1")
    return await _products_page(request, user, g, errors, values, status=422)


@routes.post("/g/{slug}/coord/produits/{product_id}")
async def update_product(request: web.Request) -> web.StreamResponse:
    """Price, stock and active flag of one product."""
    user, g = await coordinator_page(request)
    product_id = _uuid(request, "product_id")
    values = await form_values(request)
    body: dict[str, Any] = {"active": values.get("active") == "on"}
    cents = parse_money(values.get("price", ""))
    errors: dict[str, str] = {}
    if cents is None or cents <= 0:
        errors["_form"] = _("Indiquez un prix en euros, par exemple 2,25.")
    body["unit_price_cents"] = cents
    stock = values.get("stock", "").replace(",", ".")
    body["stock"] = stock or None
    if not errors:
        try:
            await request.app[API_KEY].call(
                "ordering",
                "PATCH",
                f"/v1/groups/{g.id}/products/{product_id}",
                token=user.token,
                json=body,
            )
        except ApiError as error:
            if error.status not in (404, 409, 422):
                raise
            errors["_form"] = error.message(i18n.current_language())
        else:
            return redirect(f"/g/{g.slug}/coord/produits?ok=1#p-{product_id}")
    return await _products_page(request, user, g, errors, status=422)


@routes.get("/g/{slug}/coord/distributions/nouvelle")
async def new_distribution_form(request: web.Request) -> web.StreamResponse:
    user, g = await coordinator_page(request)
    return await _new_distribution_page(
        request,
        user,
        g,
        {
            "start": "13:00",
            "end": "20:00",
            "opens_time": "08:00",
            "closes_time": "23:59",
            "capacity": "8",
            "overrides": "16:45=3",
        },
        {},
        None,
    )


async def _new_distribution_page(
    request: web.Request,
    user: User,
    g: GroupContext,
    values: dict[str, str],
    errors: dict[str, str],
    chosen: set[str] | None,
    status: int = 200,
) -> web.Response:
    answer = await request.app[API_KEY].call(
        "ordering", "GET", f"/v1/groups/{g.id}/products", token=user.token
    )
    items = [p for p in as_list(answer, "products") if p.get("active")]
    items.sort(key=lambda p: (str(p["category"]), str(p["name"])))
    if chosen is None:
        chosen = {str(p["product_id"]) for p in items}
    return render(
        request,
        "coord/new_distribution.html",
        {
            "products": items,
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
    if errors:
        return await _new_distribution_page(request, user, g, values, errors, chosen, 422)
    assert starts and ends and opens and closes and overrides is not None
    api = request.app[API_KEY]
    try:
        created = await api.call(
            "ordering",
            "POST",
            f"/v1/groups/{g.id}/distributions",
            token=user.token,
            json={
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
    distribution_id = str(created["distribution_id"])
    done = await _apply_capacities(api, user, g, distribution_id, int(capacity), overrides)
    suffix = "/logistique?ok=1" if done else "/logistique?attente=1"
    return redirect(f"/g/{g.slug}/coord/d/{distribution_id}{suffix}")


async def _apply_capacities(
    api: Api,
    user: User,
    g: GroupContext,
    distribution_id: str,
    capacity: int,
    overrides: dict[str, int],
) -> bool:
    """Logistics learns of a new distribution from ordering's event: wait for it a little,
    then set the default capacity and the per-slot overrides."""
    base = _base(g, distribution_id)
    for _attempt in range(20):
        try:
            view = await api.call(
                "logistics",
                "PUT",
                f"{base}/capacity",
                token=user.token,
                json={"default_capacity": capacity},
            )
        except ApiError as error:
            if error.status != 404:
                raise
            await asyncio.sleep(0.5)
            continue
        except ServiceDown:
            return False
        for slot in as_list(view, "slots"):
            from ..formatting import time_of_day

            wanted = overrides.get(time_of_day(slot["starts_at"]))
            if wanted is not None:
                await api.call(
                    "logistics",
                    "PUT",
                    f"{base}/slots/{slot['slot_id']}/capacity",
                    token=user.token,
                    json={"capacity": wanted},
                )
        return True
    return False


async def _distribution(
    api: Api, user: User, g: GroupContext, distribution_id: str
) -> dict[str, Any]:
    found: dict[str, Any] = await api.call(
        "ordering", "GET", _base(g, distribution_id), token=user.token
    )
    return found


@routes.get("/g/{slug}/coord/d/{distribution_id}")
async def distribution_hub(request: web.Request) -> web.StreamResponse:
    user, g = await coordinator_page(request)
    d = await _distribution(request.app[API_KEY], user, g, _did(request))
    return render(request, "coord/distribution.html", {"d": d, "tab": "coord"})


@routes.get("/g/{slug}/coord/d/{distribution_id}/commandes")
async def orders_by_member(request: web.Request) -> web.StreamResponse:
    user, g = await coordinator_page(request)
    did = _did(request)
    api = request.app[API_KEY]
    d, answer, names = await asyncio.gather(
        _distribution(api, user, g, did),
        api.call("ordering", "GET", f"{_base(g, did)}/orders", token=user.token),
        _names(api, user, g),
    )
    orders = as_list(answer, "orders")
    orders.sort(key=lambda o: names.get(str(o["user_id"]), "~").upper())
    return render(
        request, "coord/orders.html", {"d": d, "orders": orders, "names": names, "tab": "coord"}
    )


@routes.get("/g/{slug}/coord/d/{distribution_id}/produits")
async def orders_by_product(request: web.Request) -> web.StreamResponse:
    user, g = await coordinator_page(request)
    did = _did(request)
    api = request.app[API_KEY]
    d, answer, names = await asyncio.gather(
        _distribution(api, user, g, did),
        api.call("ordering", "GET", f"{_base(g, did)}/by-product", token=user.token),
        _names(api, user, g),
    )
    return render(
        request,
        "coord/by_product.html",
        {"d": d, "products": as_list(answer, "products"), "names": names, "tab": "coord"},
    )


@routes.get("/g/{slug}/coord/d/{distribution_id}/bon-de-commande")
async def purchase_order(request: web.Request) -> web.StreamResponse:
    user, g = await coordinator_page(request)
    did = _did(request)
    answer = await request.app[API_KEY].call(
        "ordering", "GET", f"{_base(g, did)}/purchase-order", token=user.token
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
    did = _did(request)
    target = CSV_KINDS.get(request.match_info["kind"])
    if target is None:
        raise web.HTTPNotFound()
    raw = await request.app[API_KEY].raw("ordering", f"{_base(g, did)}/{target}", token=user.token)
    filename = f"{g.slug}-{request.match_info['kind']}-{did[:8]}.csv"
    return web.Response(
        body=sanitise_csv(raw.body),
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{filename}"',
        },
    )


async def _coordination(api: Api, user: User, g: GroupContext, did: str) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = await api.call(
            "logistics", "GET", f"{_base(g, did)}/coordination", token=user.token
        )
    except ApiError as error:
        if error.status == 404:
            return None
        raise
    except ServiceDown:
        return None
    return found


@routes.get("/g/{slug}/coord/d/{distribution_id}/feuille")
async def day_sheet(request: web.Request) -> web.StreamResponse:
    """Distribution-day sheet: per slot, member, items, amount due, paid box — and the payment
    form for each member (hidden when printed)."""
    user, g = await coordinator_page(request)
    did = _did(request)
    api = request.app[API_KEY]
    d, sheet, names, coordination = await asyncio.gather(
        _distribution(api, user, g, did),
        api.call("ordering", "GET", f"{_base(g, did)}/sheet", token=user.token),
        _names(api, user, g),
        _coordination(api, user, g, did),
    )
    rows = as_list(sheet, "rows")
    slot_of: dict[str, dict[str, Any]] = {}
    for slot_view in as_list(coordination, "slots"):
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
                    f"{_time(slot['starts_at'])} – {_time(slot['ends_at'])}"
                    if slot
                    else _("Sans créneau"),
                )
            )
        groups[key].append(row)
    sections = [(label, groups[key]) for key, label in sorted(order)]
    return render(
        request,
        "coord/sheet.html",
        {
            "d": d,
            "sections": sections,
            "names": names,
            "idem": idempotency_key(),
            "methods": PAYMENT_METHODS,
            "paid_ok": request.query.get("paye", ""),
            "error": "",
            "tab": "coord",
        },
    )


def _time(value: str) -> str:
    from ..formatting import time_of_day

    return time_of_day(value)


@routes.post("/g/{slug}/coord/d/{distribution_id}/paiements")
async def record_payment(request: web.Request) -> web.StreamResponse:
    user, g = await coordinator_page(request)
    did = _did(request)
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


@routes.get("/g/{slug}/coord/d/{distribution_id}/logistique")
async def logistics_view(request: web.Request) -> web.StreamResponse:
    """Slots (who comes), delivery pairs, unpaired requests; capacity settings."""
    user, g = await coordinator_page(request)
    did = _did(request)
    api = request.app[API_KEY]
    d, names, coordination = await asyncio.gather(
        _distribution(api, user, g, did), _names(api, user, g), _coordination(api, user, g, did)
    )
    return render(
        request,
        "coord/logistics.html",
        {
            "d": d,
            "names": names,
            "c": coordination,
            "ok": request.query.get("ok", ""),
            "waiting": request.query.get("attente", ""),
            "error": "",
            "tab": "coord",
        },
    )


@routes.post("/g/{slug}/coord/d/{distribution_id}/capacite")
async def set_capacity(request: web.Request) -> web.StreamResponse:
    user, g = await coordinator_page(request)
    did = _did(request)
    values = await form_values(request)
    api = request.app[API_KEY]
    base = _base(g, did)
    try:
        if values.get("slot_id"):
            slot_id = str(uuid.UUID(values["slot_id"]))
            text = values.get("capacity", "")
            capacity = int(text) if text.isdigit() else None
            await api.call(
                "logistics",
                "PUT",
                f"{base}/slots/{slot_id}/capacity",
                token=user.token,
                json={"capacity": capacity},
            )
        else:
            text = values.get("default_capacity", "")
            if not text.isdigit():
                raise ApiError(422, "invalid-input", _("Indiquez un nombre."), "Enter a number.")
            await api.call(
                "logistics",
                "PUT",
                f"{base}/capacity",
                token=user.token,
                json={"default_capacity": int(text)},
            )
    except (ApiError, ValueError) as error:
        if isinstance(error, ApiError) and error.status not in (404, 409, 422):
            raise
        message = (
            error.message(i18n.current_language())
            if isinstance(error, ApiError)
            else _("Créneau inconnu.")
        )
        d, names, coordination = await asyncio.gather(
            _distribution(api, user, g, did), _names(api, user, g), _coordination(api, user, g, did)
        )
        return render(
            request,
            "coord/logistics.html",
            {
                "d": d,
                "names": names,
                "c": coordination,
                "ok": "",
                "waiting": "",
                "error": message,
                "tab": "coord",
            },
            status=422,
        )
    return redirect(f"/g/{g.slug}/coord/d/{did}/logistique?ok=1")


@routes.post("/g/{slug}/coord/d/{distribution_id}/demandes/{request_id}/revoquer")
async def revoke_request(request: web.Request) -> web.StreamResponse:
    user, g = await coordinator_page(request)
    did = _did(request)
    request_id = _uuid(request, "request_id")
    await request.app[API_KEY].call(
        "logistics",
        "POST",
        f"{_base(g, did)}/delivery-requests/{request_id}/revoke",
        token=user.token,
    )
    return redirect(f"/g/{g.slug}/coord/d/{did}/logistique?ok=1")
