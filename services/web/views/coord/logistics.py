"""A distribution's logistics: slots (who comes), delivery pairs, unpaired requests; the slots'
capacity; revoking a need-delivery status."""

import asyncio
import uuid

from aiohttp import web

from ... import i18n
from ...apiclient import ApiError
from ...clients import logistics
from ...groups import GroupContext
from ...i18n import _
from ...rendering import render
from ...sessions import User
from ..common import (
    distribution_param,
    form_values,
    page_data,
    path_uuid,
    redirect,
)
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
    d, names, coordination_view = await asyncio.gather(
        distribution(request, user, g, did),
        member_names(request, user, g),
        coordination(request, user, g, did),
    )
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
    client = logistics(request, user)
    try:
        if values.get("slot_id"):
            slot_id = str(uuid.UUID(values["slot_id"]))
            text = values.get("capacity", "")
            capacity = int(text) if text.isdigit() else None
            await client.set_slot_capacity(g.id, did, slot_id, capacity)
        else:
            text = values.get("default_capacity", "")
            if not text.isdigit():
                raise ApiError(422, "invalid-input", _("Indiquez un nombre."), "Enter a number.")
            await client.set_default_capacity(g.id, did, int(text))
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
    await logistics(request, user).revoke_request(g.id, did, request_id)
    return redirect(f"/g/{g.slug}/coord/d/{did}/logistique?ok=1")
