"""« Mon compte »: last orders, account box, balance, payments history, language, leave group."""

import asyncio
from typing import Any

from aiohttp import web

from ... import i18n
from ...apiclient import ApiError, ServiceDown
from ...clients import accounts, ordering
from ...groups import get_me, logged_in_me, member_page
from ...rendering import render
from ...sessions import forget_user, require_user
from ...validation import changed_details, shown_details
from ..common import form_values, page_data, page_list, redirect, safe_next
from ..forms import PersonForm, check_form
from ..refusals import api_field_errors
from .forms import LanguageForm

routes = web.RouteTableDef()

PROFILE_FIELDS = tuple(PersonForm.model_fields)
ACCOUNT_REQUIRED = {"first_name", "last_name", "email"}


@routes.get("/g/{slug}/compte")
async def my_account(request: web.Request) -> web.StreamResponse:
    user, g = await member_page(request)
    client = ordering(request, user)
    orders: list[dict[str, Any]] = []
    ledger: dict[str, Any] | None = None
    unavailable = False
    try:
        last_orders, balance = await asyncio.gather(
            client.my_orders(g.id, {"limit": "5"}), client.my_ledger(g.id)
        )
        orders, ledger = page_list(last_orders), page_data(balance)
    except ServiceDown:
        unavailable = True
    return render(
        request,
        "account.html",
        {
            "orders": orders,
            "ledger": ledger,
            "orders_unavailable": unavailable,
            "me": page_data(g.me),
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
    me = await logged_in_me(request)
    return render(
        request,
        "account_edit.html",
        {
            "values": shown_details(me, PROFILE_FIELDS),
            "me": page_data(me),
            "next": safe_next(request.query.get("next"), "/"),
        },
    )


@routes.post("/compte/modifier")
async def edit(request: web.Request) -> web.StreamResponse:
    user = await require_user(request)
    values = await form_values(request)
    next_path = safe_next(values.get("next"), "/")
    form, errors = check_form(PersonForm, values, context={"required": ACCOUNT_REQUIRED})
    me = await get_me(request, user)
    if form is not None:
        # Only what changed; an emptied optional field is removed (null).
        body = {k: v or None for k, v in changed_details(me, form.model_dump()).items()}
        if not body:
            return redirect(next_path)
        try:
            await accounts(request, user).update_me(body)
        except ApiError as error:
            if error.status not in (400, 409, 422):
                raise
            errors = api_field_errors(error, i18n.current_language(), set(PROFILE_FIELDS))
        else:
            forget_user(request, user.user_id)
            return redirect(next_path)
    return render(
        request,
        "account_edit.html",
        {
            "values": values,
            "me": page_data(me),
            "next": next_path,
            "errors": errors,
        },
        status=400,
    )


@routes.post("/compte/langue")
async def language(request: web.Request) -> web.StreamResponse:
    user = await require_user(request)
    values = await form_values(request)
    form, _errors = check_form(LanguageForm, values)
    if form is not None:
        await accounts(request, user).update_me({"language": form.language})
        forget_user(request, user.user_id)
    return redirect(safe_next(values.get("next"), "/"))


@routes.get("/g/{slug}/quitter")
async def leave_form(request: web.Request) -> web.StreamResponse:
    await member_page(request)
    return render(request, "leave.html")


@routes.post("/g/{slug}/quitter")
async def leave(request: web.Request) -> web.StreamResponse:
    user, g = await member_page(request)
    await accounts(request, user).leave_group(g.id)
    forget_user(request, user.user_id)
    return redirect("/groupes")
