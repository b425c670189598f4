"""Delivery between members: « Besoin d'être livré » (address, phone and what may be shared) and
« Possibilité de livrer » (the requests, « Sélectionner », withdraw)."""

from aiohttp import web

from ... import i18n
from ...apiclient import ApiError
from ...clients import accounts, logistics
from ...groups import GroupContext
from ...rendering import render
from ...sessions import User
from ...validation import changed_details, field_message, shown_details
from ..common import distribution_visit, form_values, page_list, path_uuid, redirect
from ..forms import check_form, posted_form
from ..refusals import refusal_message
from .common import distribution_page
from .forms import CONSENT_FIELDS, ClaimForm, NeedDeliveryForm

routes = web.RouteTableDef()

CONSENT_TEXT_VERSION = "2026-01"
ADDRESS_FIELDS = ("phone", "street", "postcode", "city")


@routes.get("/g/{slug}/d/{distribution_id}/besoin-livraison")
async def need_delivery_form(request: web.Request) -> web.StreamResponse:
    _user, g, distribution_id = await distribution_visit(request)
    return render(
        request,
        "need_delivery.html",
        {
            "distribution_id": distribution_id,
            "values": shown_details(g.me, ADDRESS_FIELDS),
            "consent": list(CONSENT_FIELDS),
        },
    )


@routes.post("/g/{slug}/d/{distribution_id}/besoin-livraison")
async def need_delivery(request: web.Request) -> web.StreamResponse:
    """« Besoin d'être livré »: confirm address and phone, and what may be shared."""
    user, g, distribution_id = await distribution_visit(request)
    posted = await form_values(request)
    values = {k: posted.get(k, "") for k in ADDRESS_FIELDS}
    ticked = (await request.post()).getall("consent", [])
    consent = [f for f in CONSENT_FIELDS if f in ticked]
    form, errors = check_form(NeedDeliveryForm, {**values, "consent": consent})
    if form is not None:
        changed = changed_details(g.me, form.contact())
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
        },
        status=status,
    )


@routes.get("/g/{slug}/d/{distribution_id}/demandes")
async def delivery_requests(request: web.Request) -> web.StreamResponse:
    """« Possibilité de livrer »: the requests (first name, postcode, size) and « Sélectionner »."""
    user, g, distribution_id = await distribution_visit(request)
    return await _requests_page(
        request, user, g, distribution_id, taken=request.query.get("pris", "")
    )


@routes.post("/g/{slug}/d/{distribution_id}/demandes/{request_id}")
async def claim_request(request: web.Request) -> web.StreamResponse:
    user, g, distribution_id = await distribution_visit(request)
    request_id = path_uuid(request, "request_id")
    withdraw = (await posted_form(request, ClaimForm)).withdraw
    try:
        await logistics(request, user).claim_request(
            g.id, distribution_id, request_id, withdraw=withdraw
        )
    except ApiError as error:
        message = refusal_message(error, (403, 404, 409))
        return await _requests_page(
            request, user, g, distribution_id, error=message, status=error.status
        )
    suffix = "/demandes" if withdraw else f"/demandes?pris={request_id}"
    return redirect(distribution_page(g, distribution_id, suffix))
