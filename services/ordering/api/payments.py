"""Coordinator routes: payments, a member's ledger, order corrections."""

from aiohttp import web

from services.ordering import corrections, payments, responses
from services.ordering.api.common import (
    COORDINATOR,
    UUID_RE,
    G,
    coordinator,
    db,
    person,
    person_or_none,
)
from services.ordering.models import OrderCorrection, PaymentCreate
from shared.bodies import parse_json, path_uuid
from shared.http import json_ok
from shared.idempotency import idempotency_key
from shared.openapi import operation

routes = web.RouteTableDef()


@routes.post(G + "/payments")
@operation(
    "Record a payment (credit) for a member",
    body=PaymentCreate,
    status=201,
    tags=COORDINATOR,
    response=responses.Payment,
)
async def record_payment(request: web.Request) -> web.Response:
    caller, group_id = await coordinator(request)
    recorded_by = person(caller)
    body = await parse_json(request, PaymentCreate)
    status, answer = await payments.record_payment(
        db(request), group_id, body, recorded_by, idempotency_key(request)
    )
    return json_ok(answer, status)


@routes.get(G + "/members/{user_id}/ledger")
@operation("A member's balance and ledger", tags=COORDINATOR, response=responses.Ledger)
async def member_ledger(request: web.Request) -> web.Response:
    _, group_id = await coordinator(request)
    user_id = path_uuid(request, "user_id")
    return json_ok(await payments.ledger(db(request), group_id, user_id))


@routes.post(G + "/orders/{order_id:" + UUID_RE + "}/corrections")
@operation(
    "Correct an order (new quantities; recorded as a ledger correction); idempotent with"
    " Idempotency-Key",
    body=OrderCorrection,
    tags=COORDINATOR,
    response=responses.Order,
)
async def correct_order(request: web.Request) -> web.Response:
    caller, group_id = await coordinator(request)
    order_id = path_uuid(request, "order_id")
    body = await parse_json(request, OrderCorrection)
    correction = corrections.Correction(
        group_id,
        order_id,
        [(ln.product_id, ln.quantity) for ln in body.lines],
        body.note,
        person_or_none(caller),
    )
    duplicate = correction.duplicate_product()
    if duplicate is not None:
        raise duplicate
    status, answer = await corrections.correct_order(
        db(request), correction, idempotency_key(request)
    )
    return json_ok(answer, status)
