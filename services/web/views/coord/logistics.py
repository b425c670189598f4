"""A distribution's logistics: slots (who comes), delivery pairs, unpaired requests; the slots'
capacity; revoking a need-delivery status."""

import asyncio
import uuid

from aiohttp import web

from ... import i18n
from ...apiclient import API_KEY, ApiError
from ...groups import GroupContext
from ...i18n import _
from ...rendering import render
from ...sessions import User
from ..common import distribution_api, distribution_param, form_values, path_uuid, redirect
from .common import coordination, coordinator_page, distribution, member_names

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
    api = request.app[API_KEY]
    d, names, coordination_view = await asyncio.gather(
        distribution(api, user, g, did), member_names(api, user, g), coordination(api, user, g, did)
    )
    return render(
        request,
        "coord/logistics.html",
        {
            "d": d,
            "names": names,
            "c": coordination_view,
            "ok": ok,
            "waiting": waiting,
            "error": error,
            "tab": "coord",
        },
        status=status,
    )


@routes.get("/g/{slug}/coord/d/{distribution_id}/logistique")
async def logistics_view(request: web.Request) -> web.StreamResponse:
    """Slots (who comes), delivery pairs, unpaired requests; capacity settings."""
    user, g = await coordinator_page(request)
    return await _logistics_page(
        request,
        user,
        g,
        distribution_param(request),
        ok=request.query.get("ok", ""),
        waiting=request.query.get("attente", ""),
    )


@routes.post("/g/{slug}/coord/d/{distribution_id}/capacite")
async def set_capacity(request: web.Request) -> web.StreamResponse:
    user, g = await coordinator_page(request)
    did = distribution_param(request)
    values = await form_values(request)
    api = request.app[API_KEY]
    base = distribution_api(g, did)
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
        return await _logistics_page(request, user, g, did, error=message, status=422)
    return redirect(f"/g/{g.slug}/coord/d/{did}/logistique?ok=1")


@routes.post("/g/{slug}/coord/d/{distribution_id}/demandes/{request_id}/revoquer")
async def revoke_request(request: web.Request) -> web.StreamResponse:
    user, g = await coordinator_page(request)
    did = distribution_param(request)
    request_id = path_uuid(request, "request_id")
    await request.app[API_KEY].call(
        "logistics",
        "POST",
        f"{distribution_api(g, did)}/delivery-requests/{request_id}/revoke",
        token=user.token,
    )
    return redirect(f"/g/{g.slug}/coord/d/{did}/logistique?ok=1")
