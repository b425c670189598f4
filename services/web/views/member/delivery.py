"""Delivery between members: « Besoin d'être livré » (address, phone and what may be shared) and
« Possibilité de livrer » (the requests, « Sélectionner », withdraw)."""

from aiohttp import web

from ... import i18n
from ...apiclient import ApiError
from ...clients import accounts, logistics
from ...formatting import phone as phone_text
from ...groups import GroupContext, member_page
from ...i18n import _
from ...rendering import render
from ...sessions import User
from ...validation import check_person, field_message, same_phone
from ..common import (
    distribution_param,
    form_values,
    page_list,
    path_uuid,
    redirect,
)
from .common import distribution_page

routes = web.RouteTableDef()

CONSENT_FIELDS = ("address", "phone", "email")
CONSENT_TEXT_VERSION = "2026-01"
ADDRESS_FIELDS = ("phone", "street", "postcode", "city")


@routes.get("/g/{slug}/d/{distribution_id}/besoin-livraison")
async def need_delivery_form(request: web.Request) -> web.StreamResponse:
    _user, g = await member_page(request)
    me = g.me
    values = {k: str(me.get(k) or "") for k in ADDRESS_FIELDS}
    values["phone"] = phone_text(values["phone"])
    return render(
        request,
        "need_delivery.html",
        {
            "distribution_id": distribution_param(request),
            "values": values,
            "consent": list(CONSENT_FIELDS),
            "tab": "orders",
        },
    )


def _need_delivery_errors(values: dict[str, str], consent: list[str]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not values["phone"]:
        errors["phone"] = _(
            "Indiquez un numéro de téléphone pour que la personne puisse vous appeler."
        )
    for name in ("street", "postcode", "city"):
        if not values[name]:
            errors[name] = _("Indiquez votre adresse complète pour être livré.")
    if not consent:
        errors["consent"] = _(
            "Cochez au moins une information à transmettre à la personne qui vous livrera."
        )
    for name, message in check_person(values, set()).items():
        errors.setdefault(name, message)
    return errors


@routes.post("/g/{slug}/d/{distribution_id}/besoin-livraison")
async def need_delivery(request: web.Request) -> web.StreamResponse:
    """« Besoin d'être livré »: confirm address and phone, and what may be shared."""
    user, g = await member_page(request)
    distribution_id = distribution_param(request)
    form = await request.post()
    values = {k: str(form.get(k) or "").strip() for k in ADDRESS_FIELDS}
    consent = [f for f in CONSENT_FIELDS if f in form.getall("consent", [])]
    errors = _need_delivery_errors(values, consent)
    if not errors:
        # The phone is shown « 06 06 06 06 06 »: unchanged when it is the same number.
        changed = {
            k: v
            for k, v in values.items()
            if v != str(g.me.get(k) or "")
            and not (k == "phone" and same_phone(v, g.me.get("phone")))
        }
        try:
            if changed:
                await accounts(request, user).update_me(changed)
            await logistics(request, user).choose_pickup(
                g.id,
                distribution_id,
                {
                    "choice": "need_delivery",
                    "consent": {"fields": consent, "text_version": CONSENT_TEXT_VERSION},
                },
            )
        except ApiError as error:
            if error.status not in (404, 409, 422):
                raise
            errors = {k: field_message(k) for k in error.field_errors() if k in values}
            if not errors:
                errors["_form"] = error.message(i18n.current_language())
        else:
            return redirect(distribution_page(g, distribution_id, "/retrait?ok=livraison#creneau"))
    return render(
        request,
        "need_delivery.html",
        {
            "distribution_id": distribution_id,
            "values": values,
            "consent": consent,
            "errors": errors,
            "tab": "orders",
        },
        status=422,
    )


async def _requests_page(
    request: web.Request,
    user: User,
    g: GroupContext,
    distribution_id: str,
    *,
    taken: str = "",
    error: str = "",
    status: int = 200,
) -> web.Response:
    answer = await logistics(request, user).delivery_requests(g.id, distribution_id)
    return render(
        request,
        "requests.html",
        {
            "distribution_id": distribution_id,
            "open": page_list(answer.open),
            "mine": page_list(answer.mine),
            "taken": taken,
            "error": error,
            "tab": "orders",
        },
        status=status,
    )


@routes.get("/g/{slug}/d/{distribution_id}/demandes")
async def delivery_requests(request: web.Request) -> web.StreamResponse:
    """« Possibilité de livrer »: the requests (first name, postcode, size) and « Sélectionner »."""
    user, g = await member_page(request)
    return await _requests_page(
        request, user, g, distribution_param(request), taken=request.query.get("pris", "")
    )


@routes.post("/g/{slug}/d/{distribution_id}/demandes/{request_id}")
async def claim_request(request: web.Request) -> web.StreamResponse:
    user, g = await member_page(request)
    distribution_id = distribution_param(request)
    request_id = path_uuid(request, "request_id")
    values = await form_values(request)
    withdraw = values.get("action") == "withdraw"
    try:
        await logistics(request, user).claim_request(
            g.id, distribution_id, request_id, withdraw=withdraw
        )
    except ApiError as error:
        if error.status not in (403, 404, 409):
            raise
        return await _requests_page(
            request,
            user,
            g,
            distribution_id,
            error=error.message(i18n.current_language()),
            status=error.status,
        )
    suffix = "/demandes" if withdraw else f"/demandes?pris={request_id}"
    return redirect(distribution_page(g, distribution_id, suffix))
