"""Mass assignment: every JSON body the APIs accept refuses fields it does not declare (a client
cannot slip in `role`, `admin`, `group_id`, `price_cents` or `status`), nested models included."""

from types import UnionType
from typing import Union, get_args, get_origin

import pytest
from aiohttp import web
from pydantic import BaseModel

from services.accounts.api import routes as accounts_routes
from services.logistics.api import routes as logistics_routes
from services.notifications.api import dev_routes as notifications_routes
from services.ordering.api import routes as ordering_routes

ROUTE_TABLES = {
    "accounts": accounts_routes,
    "ordering": ordering_routes,
    "logistics": logistics_routes,
    "notifications": notifications_routes,
}


def body_models(table: web.RouteTableDef) -> list[type[BaseModel]]:
    models = []
    for route in table:
        if isinstance(route, web.RouteDef):
            meta = getattr(route.handler, "__openapi__", None)
            if meta is not None and meta["body"] is not None:
                models.append(meta["body"])
    return models


def nested(model: type[BaseModel]) -> set[type[BaseModel]]:
    found = {model}
    for field in model.model_fields.values():
        pending = [field.annotation]
        while pending:
            annotation = pending.pop()
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                if annotation not in found:
                    found |= nested(annotation)
            elif get_origin(annotation) in (list, dict, tuple, set, Union, UnionType):
                pending.extend(get_args(annotation))
    return found


@pytest.mark.parametrize("service", sorted(ROUTE_TABLES))
def test_every_request_body_forbids_unknown_fields(service: str) -> None:
    models = {m for body in body_models(ROUTE_TABLES[service]) for m in nested(body)}
    lax = sorted(m.__name__ for m in models if m.model_config.get("extra") != "forbid")
    assert lax == [], f"{service}: request models that accept unknown fields: {lax}"


def test_the_check_sees_the_bodies() -> None:
    assert len(body_models(accounts_routes)) >= 8
    assert len(body_models(ordering_routes)) >= 8
