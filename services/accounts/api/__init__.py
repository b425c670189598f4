"""HTTP routes of the accounts service, one route table per area; bootstrap registers each.

A route parses the request (shared.bodies), authorises the caller (shared.auth), calls one use
case and serialises its answer: no SQL and no transaction here."""

from aiohttp import web

from services.accounts.api import groups, internal, people, sessions

ROUTE_TABLES: tuple[web.RouteTableDef, ...] = (
    sessions.routes,
    groups.routes,
    people.routes,
    internal.routes,
)


def _all_routes() -> web.RouteTableDef:
    every = web.RouteTableDef()
    for table in ROUTE_TABLES:
        for route in table:
            assert isinstance(route, web.RouteDef)
            every.route(route.method, route.path, **route.kwargs)(route.handler)
    return every


# Every route of the service in one table, for checks over all of them (request bodies, OpenAPI).
routes = _all_routes()
