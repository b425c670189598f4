"""Coordinator routes: the catalog, distributions and their reports."""

import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiohttp import web

from services.ordering import catalog, distributions, reports, responses
from services.ordering.api.common import (
    COORDINATOR,
    UUID_RE,
    D,
    G,
    coordinator,
    csv_answer,
    db,
    person_or_none,
)
from services.ordering.models import CopyCatalog, DistributionCreate, ProductCreate, ProductPatch
from shared.bodies import parse_json, path_uuid
from shared.db import Database
from shared.http import json_ok
from shared.openapi import operation

# --- catalog -------------------------------------------------------------------------------------

routes = web.RouteTableDef()


@routes.get(G + "/products")
@operation(
    "The group's catalog, inactive products included", tags=COORDINATOR, response=responses.Products
)
async def list_products(request: web.Request) -> web.Response:
    _, group_id = await coordinator(request)
    return json_ok(await catalog.list_products(db(request), group_id))


@routes.post(G + "/products")
@operation(
    "Add a product to the catalog",
    body=ProductCreate,
    status=201,
    tags=COORDINATOR,
    response=responses.Product,
)
async def create_product(request: web.Request) -> web.Response:
    _, group_id = await coordinator(request)
    body = await parse_json(request, ProductCreate)
    return json_ok(await catalog.create_product(db(request), group_id, body), 201)


@routes.patch(G + "/products/{product_id:" + UUID_RE + "}")
@operation("Change a product", body=ProductPatch, tags=COORDINATOR, response=responses.Product)
async def patch_product(request: web.Request) -> web.Response:
    _, group_id = await coordinator(request)
    product_id = path_uuid(request, "product_id")
    body = await parse_json(request, ProductPatch)
    return json_ok(await catalog.change_product(db(request), group_id, product_id, body))


@routes.post(G + "/products/copy")
@operation(
    "Copy this group's catalog to another group (coordinator of both)",
    body=CopyCatalog,
    tags=COORDINATOR,
    response=responses.CatalogCopied,
)
async def copy_products(request: web.Request) -> web.Response:
    caller, group_id = await coordinator(request)
    body = await parse_json(request, CopyCatalog)
    caller.require_coordinator(body.target_group_id)
    return json_ok(await catalog.copy_catalog(db(request), group_id, body.target_group_id))


# --- distributions and reports -------------------------------------------------------------------

Report = TypeVar("Report")


async def _report(
    request: web.Request, make: Callable[[Database, uuid.UUID, uuid.UUID], Awaitable[Report]]
) -> Report:
    """A report on the path's distribution for whoever coordinates its group."""
    _, group_id = await coordinator(request)
    return await make(db(request), group_id, path_uuid(request, "distribution_id"))


@routes.post(G + "/distributions")
@operation(
    "Create a distribution with its products and prices",
    body=DistributionCreate,
    status=201,
    tags=COORDINATOR,
    response=responses.Distribution,
)
async def create_distribution(request: web.Request) -> web.Response:
    caller, group_id = await coordinator(request)
    body = await parse_json(request, DistributionCreate)
    created = await distributions.create_distribution(
        db(request), group_id, body, person_or_none(caller)
    )
    return json_ok(created, 201)


@routes.get(D + "/orders")
@operation(
    "Orders of a distribution, by member (user ids; names come from accounts)",
    tags=COORDINATOR,
    response=responses.Orders,
)
async def distribution_orders(request: web.Request) -> web.Response:
    orders = await _report(request, reports.distribution_orders)
    return json_ok({"orders": orders})


@routes.get(D + "/orders.csv")
@operation("Orders of a distribution as CSV", response="text/csv", tags=COORDINATOR)
async def distribution_orders_csv(request: web.Request) -> web.Response:
    orders = await _report(request, reports.distribution_orders)
    return csv_answer(reports.orders_csv(orders), "commandes.csv")


@routes.get(D + "/by-product")
@operation("Orders of a distribution, by product", tags=COORDINATOR, response=responses.ByProduct)
async def distribution_by_product(request: web.Request) -> web.Response:
    products = await _report(request, reports.by_product)
    return json_ok({"products": products})


@routes.get(D + "/purchase-order")
@operation(
    "Purchase order: total quantity per product for a distribution",
    tags=COORDINATOR,
    response=responses.PurchaseOrder,
)
async def purchase_order(request: web.Request) -> web.Response:
    return json_ok(await _report(request, reports.purchase_order))


@routes.get(D + "/purchase-order.csv")
@operation("Purchase order as CSV", response="text/csv", tags=COORDINATOR)
async def purchase_order_csv(request: web.Request) -> web.Response:
    found = await _report(request, reports.purchase_order)
    return csv_answer(reports.purchase_csv(found["lines"]), "bon-de-commande.csv")


@routes.get(D + "/sheet")
@operation(
    "Distribution-day sheet: member, items, amount due, paid",
    tags=COORDINATOR,
    response=responses.Sheet,
)
async def day_sheet(request: web.Request) -> web.Response:
    return json_ok(await _report(request, reports.day_sheet))


@routes.get(D + "/sheet.csv")
@operation("Distribution-day sheet as CSV", response="text/csv", tags=COORDINATOR)
async def day_sheet_csv(request: web.Request) -> web.Response:
    sheet = await _report(request, reports.day_sheet)
    return csv_answer(reports.sheet_csv(sheet["rows"]), "feuille-distribution.csv")
