"""« Mon compte »: last orders, account box, balance, payments history, language, leave group."""

from typing import Any

from aiohttp import web

from ... import i18n
from ...apiclient import ApiError, ServiceDown
from ...clients import accounts, ordering
from ...formatting import phone as phone_text
from ...groups import get_me, member_page
from ...rendering import render
from ...sessions import require_user
from ...validation import check_person, same_phone
from ..common import api_field_errors, form_values, page_data, page_list, redirect, safe_next

routes = web.RouteTableDef()

PROFILE_FIELDS = ("first_name", "last_name", "email", "phone", "street", "postcode", "city")


@routes.get("/g/{slug}/compte")
async def my_account(request: web.Request) -> web.StreamResponse:
    user, g = await member_page(request)
    client = ordering(request, user)
    orders: list[dict[str, Any]] = []
    ledger: dict[str, Any] | None = None
    unavailable = False
    try:
        orders = page_list(await client.my_orders(g.id, {"limit": "5"}))
        ledger = page_data(await client.my_ledger(g.id))
    except ServiceDown:
        unavailable = True
    return render(
        request,
        "account.html",
        {
            "orders": orders,
            "ledger": ledger,
            "orders_unavailable": unavailable,
            "me": g.me,
        },
    )


@routes.get("/g/{slug}/paiements")
async def payments(request: web.Request) -> web.StreamResponse:
    """« Détails paiements »: every ledger entry, newest first, and the balance."""
    user, g = await member_page(request)
    ledger = page_data(await ordering(request, user).my_ledger(g.id))
    return render(request, "payments.html", {"ledger": ledger, "entries": ledger["entries"]})


@routes.get("/compte/modifier")
async def edit_form(request: web.Request) -> web.StreamResponse:
    user = await require_user(request)
    me = await get_me(request, user)
    values = {k: str(me.get(k) or "") for k in PROFILE_FIELDS}
    values["phone"] = phone_text(values["phone"])
    return render(
        request,
        "account_edit.html",
        {
            "values": values,
            "me": me,
            "next": safe_next(request.query.get("next"), "/"),
        },
    )


@routes.post("/compte/modifier")
async def edit(request: web.Request) -> web.StreamResponse:
    user = await require_user(request)
    values = await form_values(request)
    next_path = safe_next(values.get("next"), "/")
    # Every field at once, in the catalog's words (the phone too).
    errors = check_person(values, {"first_name", "last_name", "email"})
    me = await get_me(request, user)
    if not errors:
        # Only what changed; an emptied optional field is removed (null). The phone is shown
        # « 06 06 06 06 06 »: unchanged when it is the same number.
        body = {
            k: values.get(k) or None
            for k in PROFILE_FIELDS
            if values.get(k, "") != str(me.get(k) or "")
            and not (k == "phone" and same_phone(values.get(k, ""), me.get("phone")))
        }
        if not body:
            return redirect(next_path)
        try:
            await accounts(request, user).update_me(body)
        except ApiError as error:
            if error.status not in (400, 409, 422):
                raise
            errors = api_field_errors(error, i18n.current_language(), set(PROFILE_FIELDS))
        else:
            return redirect(next_path)
    return render(
        request,
        "account_edit.html",
        {
            "values": values,
            "me": me,
            "next": next_path,
            "errors": errors,
        },
        status=400,
    )


@routes.post("/compte/langue")
async def language(request: web.Request) -> web.StreamResponse:
    user = await require_user(request)
    values = await form_values(request)
    lang = values.get("language", "")
    if lang in i18n.LANGUAGES:
        await accounts(request, user).update_me({"language": lang})
    return redirect(safe_next(values.get("next"), "/"))


@routes.get("/g/{slug}/quitter")
async def leave_form(request: web.Request) -> web.StreamResponse:
    await member_page(request)
    return render(request, "leave.html")


@routes.post("/g/{slug}/quitter")
async def leave(request: web.Request) -> web.StreamResponse:
    user, g = await member_page(request)
    await accounts(request, user).leave_group(g.id)
    return redirect("/groupes")
