"""HTTP API of the ordering service (see README.md for the reference).

Each module has its route table and its handlers parse (shared.bodies), authorise (shared.auth),
call one use case and serialise. `routes` joins the tables, member routes first; bootstrap adds
it to the application."""

from aiohttp import web

from services.ordering.api import admin, coordinator, member, payments

TABLES = (member.routes, coordinator.routes, payments.routes, admin.routes)

routes = web.RouteTableDef()
for table in TABLES:
    for route in table:
        assert isinstance(route, web.RouteDef), "the tables hold routes only"
        routes.route(route.method, route.path, **route.kwargs)(route.handler)

__all__ = ["TABLES", "routes"]
