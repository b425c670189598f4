"""A distribution's logistics: slots (who comes), delivery pairs, unpaired requests; the slots'
capacity; revoking a need-delivery status."""

from aiohttp import web

from ...apiclient import ApiError
from ...clients import logistics
from ...groups import GroupContext
from ...rendering import render
from ...sessions import User
from ..common import distribution_visit, form_values, page_data, path_uuid, redirect
from ..forms import check_form
from ..refusals import refusal_message
from .common import distribution_overview
from .forms import CapacityForm

routes = web.RouteTableDef()


async def _logistics_page(
    request: web.Request,
    user: User,
    g: GroupContext,
    did: str,
    *,
    ok: str = "",
    waiting: str = "",
    error: str = "",
    status: int = 200,
) -> web.Response:
    d, names, coordination_view = await distribution_overview(request, user, g, did)
    return render(
        request,
        "coord/logistics.html",
        {
            "d": page_data(d),
            "names": names,
            "c": page_data(coordination_view),
            "ok": ok,
            "waiting": waiting,
            "error": error,
        },
        status=status,
    )


@routes.get("/g/{slug}/coord/d/{distribution_id}/logistique")
async def logistics_view(request: web.Request) -> web.StreamResponse:
    """Slots (who comes), delivery pairs, unpaired requests; capacity settings."""
    user, g, did = await distribution_visit(request, coordinator=True)
    return await _logistics_page(
        request,
        user,
        g,
        did,
        ok=request.query.get("ok", ""),
        waiting=request.query.get("attente", ""),
    )


@routes.post("/g/{slug}/coord/d/{distribution_id}/capacite")
async def set_capacity(request: web.Request) -> web.StreamResponse:
    user, g, did = await distribution_visit(request, coordinator=True)
    form, errors = check_form(CapacityForm, await form_values(request))
    if form is None:
        message = next(iter(errors.values()))
        return await _logistics_page(request, user, g, did, error=message, status=422)
    client = logistics(request, user)
    try:
        if form.slot_id:
            await client.set_slot_capacity(g.id, did, form.slot_id, form.slot_capacity())
        else:
            await client.set_default_capacity(g.id, did, int(form.default_capacity))
    except ApiError as error:
        message = refusal_message(error, (404, 409, 422))
        return await _logistics_page(request, user, g, did, error=message, status=422)
    return redirect(f"/g/{g.slug}/coord/d/{did}/logistique?ok=1")


@routes.post("/g/{slug}/coord/d/{distribution_id}/demandes/{request_id}/revoquer")
async def revoke_request(request: web.Request) -> web.StreamResponse:
    user, g, did = await distribution_visit(request, coordinator=True)
    request_id = path_uuid(request, "request_id")
    await logistics(request, user).revoke_request(g.id, did, request_id)
    return redirect(f"/g/{g.slug}/coord/d/{did}/logistique?ok=1")
