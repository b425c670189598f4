"""Association-level routes (administrators) and the internal personal-data export (the web)."""

from aiohttp import web

from services.ordering import export as personal_export
from services.ordering import reports, responses
from services.ordering.api.common import csv_answer, db
from services.ordering.models import DateRange
from shared.auth import principal, service_principal
from shared.bodies import path_uuid, query_model
from shared.http import json_ok, model_ok
from shared.openapi import operation
from shared.problems import Problem

routes = web.RouteTableDef()


async def _admin_range(request: web.Request) -> DateRange:
    caller = await principal(request)
    if not caller.admin:
        raise Problem(
            403,
            "admin-only",
            "Réservé aux administrateurs de l'association.",
            "Association administrators only.",
        )
    # A `to` before `from` is an empty range, hence an empty purchase order (DateRange says so in
    # the spec): no rule between two query parameters that the schema cannot state.
    return query_model(request, DateRange)


@routes.get("/v1/purchase-order")
@operation(
    "Purchase order across all groups for a date range (admin)",
    query=DateRange,
    tags=["admin"],
    response=responses.AssociationPurchaseOrder,
)
async def purchase_order_all(request: web.Request) -> web.Response:
    found = await _admin_range(request)
    return json_ok(await reports.association_purchase_order(db(request), found))


@routes.get("/v1/purchase-order.csv")
@operation(
    "Purchase order across all groups as CSV (admin)",
    response="text/csv",
    query=DateRange,
    tags=["admin"],
)
async def purchase_order_all_csv(request: web.Request) -> web.Response:
    found = await _admin_range(request)
    answer = await reports.association_purchase_order(db(request), found)
    return csv_answer(reports.purchase_csv(answer["lines"]), "bon-de-commande-vrac.csv")


@routes.get("/internal/users/{user_id}/export")
@operation(
    "Everything ordering holds about a person, in every group including those left (the web)",
    response=personal_export.OrderingExport,
    tags=["internal", "personal data"],
)
async def internal_export(request: web.Request) -> web.Response:
    await service_principal(request)
    found = await personal_export.export_user(db(request), path_uuid(request, "user_id"))
    return model_ok(found)
