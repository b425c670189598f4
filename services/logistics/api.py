"""HTTP API of logistics: parse, check the caller's group and role, call one use case
(slots, pickup, pairing, coordination, export), serialise."""

import uuid
from collections.abc import Awaitable, Callable

from aiohttp import web
from pydantic import BaseModel

from services.logistics import coordination, pairing, pickup, slots
from services.logistics import export as personal_export
from services.logistics.models import (
    BookingOut,
    CoordinationView,
    DefaultCapacityIn,
    InternalRequest,
    LogisticsExport,
    PickupIn,
    PickupView,
    RequestList,
    RequestSummary,
    SlotCapacityIn,
    SlotChoice,
    SlotOut,
    SlotsView,
)
from shared.auth import Principal, principal, service_principal
from shared.bodies import parse_json, path_uuid
from shared.db import Database
from shared.http import model_ok
from shared.idempotency import idempotency_key
from shared.openapi import operation
from shared.problems import Problem
from shared.runtime import DB_KEY

routes = web.RouteTableDef()
BASE = "/v1/groups/{group_id}/distributions/{distribution_id}"


def _db(request: web.Request) -> Database:
    return request.app[DB_KEY]


async def _caller(
    request: web.Request, coordinator: bool = False
) -> tuple[Principal, uuid.UUID, uuid.UUID]:
    """Authenticate a person, then check membership (or coordination) of the path's group."""
    p = await principal(request)
    if p.service is not None:
        raise Problem(403, "people-only", "Réservé aux membres.", "Members only.")
    group_id = path_uuid(request, "group_id")
    distribution_id = path_uuid(request, "distribution_id")
    if coordinator:
        p.require_coordinator(group_id)
    else:
        p.require_member(group_id)
    return p, group_id, distribution_id


def _is_coordinator(p: Principal, group_id: uuid.UUID) -> bool:
    return p.admin or p.role_in(group_id) == "coordinator"


def _answer(model: BaseModel, status: int = 200) -> web.Response:
    return model_ok(model, status)


MyUseCase = Callable[[Database, uuid.UUID, uuid.UUID, uuid.UUID], Awaitable[BaseModel | None]]


async def _mine(request: web.Request, use_case: MyUseCase) -> web.Response:
    """A member's read or removal of their own thing in the path's distribution: its view, or
    204 when the use case answers nothing."""
    p, group_id, distribution_id = await _caller(request)
    found = await use_case(_db(request), group_id, distribution_id, p.user_id)
    return web.Response(status=204) if found is None else _answer(found)


# --- slots ----------------------------------------------------------------------------------
@routes.get(BASE + "/slots")
@operation("Slots of a distribution with bookings and capacity", response=SlotsView, tags=["slots"])
async def get_slots(request: web.Request) -> web.Response:
    return await _mine(request, slots.slots_view)


@routes.get(BASE + "/booking")
@operation("My slot for this distribution", response=BookingOut, tags=["slots"])
async def get_booking(request: web.Request) -> web.Response:
    return await _mine(request, slots.my_booking)


@routes.post(BASE + "/booking")
@operation(
    "Book a slot; idempotent with Idempotency-Key",
    body=SlotChoice,
    response=BookingOut,
    status=201,
    tags=["slots"],
)
async def post_booking(request: web.Request) -> web.Response:
    p, group_id, distribution_id = await _caller(request)
    body = await parse_json(request, SlotChoice)
    booking = await slots.book_slot(
        _db(request), group_id, distribution_id, p.user_id, body.slot_id, idempotency_key(request)
    )
    return _answer(booking, 201)


@routes.put(BASE + "/booking")
@operation(
    "Move my booking to another slot (atomic)", body=SlotChoice, response=BookingOut, tags=["slots"]
)
async def put_booking(request: web.Request) -> web.Response:
    p, group_id, distribution_id = await _caller(request)
    body = await parse_json(request, SlotChoice)
    booking = await slots.move_booking(
        _db(request), group_id, distribution_id, p.user_id, body.slot_id
    )
    return _answer(booking)


@routes.delete(BASE + "/booking")
@operation("Release my slot", status=204, tags=["slots"])
async def delete_booking(request: web.Request) -> web.Response:
    return await _mine(request, slots.release_booking)


# --- pickup choice --------------------------------------------------------------------------
@routes.get(BASE + "/pickup")
@operation("My pickup choice", response=PickupView, tags=["pickup"])
async def get_pickup(request: web.Request) -> web.Response:
    return await _mine(request, pickup.pickup_view)


@routes.put(BASE + "/pickup")
@operation("Choose how my order is collected", body=PickupIn, response=PickupView, tags=["pickup"])
async def put_pickup(request: web.Request) -> web.Response:
    p, group_id, distribution_id = await _caller(request)
    body = await parse_json(request, PickupIn)
    view = await pickup.set_pickup(
        _db(request), group_id, distribution_id, p.user_id, body, first_name=p.first_name
    )
    return _answer(view)


@routes.delete(BASE + "/pickup")
@operation("Withdraw my pickup choice and consent", status=204, tags=["pickup"])
async def delete_pickup(request: web.Request) -> web.Response:
    return await _mine(request, pickup.withdraw_pickup)


# --- pairing --------------------------------------------------------------------------------
@routes.get(BASE + "/delivery-requests")
@operation("Delivery requests a volunteer can take", response=RequestList, tags=["delivery"])
async def get_requests(request: web.Request) -> web.Response:
    p, group_id, distribution_id = await _caller(request)
    listing = await pairing.list_requests(
        _db(request), group_id, distribution_id, p.user_id, _is_coordinator(p, group_id)
    )
    return _answer(listing)


@routes.post(BASE + "/delivery-requests/{request_id}/claim")
@operation("Take a delivery request", response=RequestSummary, tags=["delivery"])
async def post_claim(request: web.Request) -> web.Response:
    p, group_id, distribution_id = await _caller(request)
    request_id = path_uuid(request, "request_id")
    summary = await pairing.claim_request(
        _db(request), group_id, distribution_id, request_id, p.user_id, p.issued_at
    )
    return _answer(summary)


@routes.delete(BASE + "/delivery-requests/{request_id}/claim")
@operation("Give a delivery request back", status=204, tags=["delivery"])
async def delete_claim(request: web.Request) -> web.Response:
    p, group_id, distribution_id = await _caller(request)
    request_id = path_uuid(request, "request_id")
    await pairing.withdraw_claim(_db(request), group_id, distribution_id, request_id, p.user_id)
    return web.Response(status=204)


# --- coordinator ----------------------------------------------------------------------------
@routes.get(BASE + "/coordination")
@operation(
    "Per slot who comes, delivery pairs, unpaired requests",
    response=CoordinationView,
    tags=["coordinator"],
)
async def get_coordination(request: web.Request) -> web.Response:
    _, group_id, distribution_id = await _caller(request, coordinator=True)
    view = await coordination.coordination_view(_db(request), group_id, distribution_id)
    return _answer(view)


@routes.put(BASE + "/capacity")
@operation(
    "Set the default slot capacity",
    body=DefaultCapacityIn,
    response=SlotsView,
    tags=["coordinator"],
)
async def put_capacity(request: web.Request) -> web.Response:
    _, group_id, distribution_id = await _caller(request, coordinator=True)
    body = await parse_json(request, DefaultCapacityIn)
    view = await slots.set_default_capacity(
        _db(request), group_id, distribution_id, body.default_capacity
    )
    return _answer(view)


@routes.put(BASE + "/slots/{slot_id}/capacity")
@operation(
    "Override one slot's capacity (null: back to default)",
    body=SlotCapacityIn,
    response=SlotOut,
    tags=["coordinator"],
)
async def put_slot_capacity(request: web.Request) -> web.Response:
    _, group_id, distribution_id = await _caller(request, coordinator=True)
    slot_id = path_uuid(request, "slot_id")
    body = await parse_json(request, SlotCapacityIn)
    slot = await slots.set_slot_capacity(
        _db(request), group_id, distribution_id, slot_id, body.capacity
    )
    return _answer(slot)


@routes.post(BASE + "/delivery-requests/{request_id}/revoke")
@operation("Revoke a need-delivery status", status=204, tags=["coordinator"])
async def post_revoke(request: web.Request) -> web.Response:
    _, group_id, distribution_id = await _caller(request, coordinator=True)
    request_id = path_uuid(request, "request_id")
    await pairing.revoke_request(_db(request), group_id, distribution_id, request_id)
    return web.Response(status=204)


# --- internal -------------------------------------------------------------------------------
@routes.get("/internal/delivery-requests/{request_id}")
@operation(
    "A delivery request with its consent (notifications)",
    response=InternalRequest,
    tags=["internal"],
)
async def internal_request(request: web.Request) -> web.Response:
    await service_principal(request)
    found = await coordination.internal_request(_db(request), path_uuid(request, "request_id"))
    return _answer(found)


@routes.get("/internal/distributions/{distribution_id}/bookings/{user_id}")
@operation("A member's slot (notifications)", response=BookingOut, tags=["internal"])
async def internal_booking(request: web.Request) -> web.Response:
    await service_principal(request)
    distribution_id = path_uuid(request, "distribution_id")
    found = await slots.booking_of(_db(request), distribution_id, path_uuid(request, "user_id"))
    return _answer(found)


@routes.get("/internal/users/{user_id}/export")
@operation(
    "Everything logistics holds about a person, in every group including those left (the web)",
    response=LogisticsExport,
    tags=["internal", "personal data"],
)
async def internal_export(request: web.Request) -> web.Response:
    await service_principal(request)
    found = await personal_export.export_user(_db(request), path_uuid(request, "user_id"))
    return _answer(found)
