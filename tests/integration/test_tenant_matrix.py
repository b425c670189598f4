"""The tenant matrix, generated from the route tables: every route scoped to a group refuses a
coordinator of another group (403) and an anonymous caller (401); every internal route refuses a
person; every other route is listed below with the reason it needs no group. A new route without
a group check fails here."""

import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from services.accounts.bootstrap import build_app as build_accounts
from services.accounts.keys import ISSUER_KEY
from services.accounts.settings import AccountsSettings
from services.logistics.bootstrap import build_app as build_logistics
from services.logistics.settings import LogisticsSettings
from services.notifications.bootstrap import build_app as build_notifications
from services.notifications.settings import NotificationsSettings
from services.ordering.bootstrap import build_app as build_ordering
from services.ordering.settings import OrderingSettings
from shared.auth import TokenIssuer

# Routes that are not scoped to a group, and why that is right.
NOT_GROUP_SCOPED = {
    "accounts": {
        ("GET", "/.well-known/jwks.json"): "public keys",
        ("GET", "/v1/groups"): "the public list of groups (sign-up)",
        ("GET", "/v1/groups/by-slug/{slug}"): "a group's public page",
        ("POST", "/v1/signup"): "public",
        ("POST", "/v1/sessions"): "log-in",
        ("POST", "/v1/sessions/current/token"): "the caller's own session",
        ("DELETE", "/v1/sessions/current"): "the caller's own session",
        ("POST", "/v1/password-resets"): "public, throttled",
        ("POST", "/v1/password-resets/confirm"): "holder of the reset secret",
        ("GET", "/v1/me"): "the caller's own data",
        ("PATCH", "/v1/me"): "the caller's own data",
        ("GET", "/v1/me/export"): "the caller's own data",
        ("POST", "/v1/me/erase"): "the caller's own account",
        ("POST", "/v1/groups"): "association admins only",
        ("POST", "/v1/service-tokens"): "holder of the service secret",
    },
    "ordering": {
        ("GET", "/v1/purchase-order"): "association admins only",
        ("GET", "/v1/purchase-order.csv"): "association admins only",
    },
    "logistics": {},
    "notifications": {},
}
# Scoped to a group, but open to any signed-in person (never anonymous).
ANY_PERSON = {("POST", "/v1/groups/{group_id}/members/me"): "joining a group"}
OPERATIONS = {"/healthz", "/readyz", "/metrics", "/openapi.json"}
ADMIN_ONLY = {
    ("POST", "/v1/groups"),
    ("GET", "/v1/purchase-order"),
    ("GET", "/v1/purchase-order.csv"),
}


def concrete(path: str, group_id: uuid.UUID) -> str:
    path = path.replace("{group_id}", str(group_id))
    return re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), path)


def routes_of(app: web.Application) -> list[tuple[str, str]]:
    found = []
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        path = str(info.get("path") or info.get("formatter") or "")
        if route.method in ("HEAD", "OPTIONS") or not path or path in OPERATIONS:
            continue
        if path.startswith(("/static", "/dev/")):
            continue
        # `{order_id:regex}` → `{order_id}` for the listing above.
        found.append((route.method, re.sub(r"\{(\w+):[^}]+\}", r"{\1}", path)))
    return found


async def matrix(
    service: str, app: web.Application, issuer: Callable[[web.Application], TokenIssuer]
) -> list[str]:
    failures = []
    async with TestClient(TestServer(app)) as client:
        tokens = issuer(client.app)
        mine, theirs = uuid.uuid4(), uuid.uuid4()
        coordinator = tokens.issue(uuid.uuid4(), {str(mine): "coordinator"})
        for method, path in routes_of(client.app):

            async def call(url: str, headers: dict[str, str], method: str = method) -> int:
                idempotency = {"Idempotency-Key": uuid.uuid4().hex}
                resp = await client.request(
                    method, url, json={}, headers={**headers, **idempotency}
                )
                return resp.status

            bearer: Callable[[str], dict[str, str]] = lambda t: {"Authorization": f"Bearer {t}"}  # noqa: E731
            if (method, path) in ANY_PERSON:
                status = await call(concrete(path, theirs), {})
                if status != 401:
                    failures.append(f"{service} {method} {path}: anonymous got {status}")
            elif "{group_id}" in path and not path.startswith("/internal/"):
                url = concrete(path, theirs)
                anonymous, other_group = await call(url, {}), await call(url, bearer(coordinator))
                if anonymous != 401 or other_group != 403:
                    failures.append(f"{service} {method} {path}: {anonymous}, {other_group}")
            elif path.startswith("/internal/"):
                status = await call(concrete(path, theirs), bearer(coordinator))
                if status != 403:
                    failures.append(f"{service} {method} {path}: person got {status}")
            elif (method, path) not in NOT_GROUP_SCOPED[service]:
                failures.append(f"{service} {method} {path}: not scoped to a group, not listed")
            elif (method, path) in ADMIN_ONLY:
                status = await call(concrete(path, theirs), bearer(coordinator))
                if status != 403:
                    failures.append(f"{service} {method} {path}: coordinator got {status}")
    return failures


@pytest.mark.parametrize("service", ["accounts", "ordering", "logistics", "notifications"])
async def test_every_route_checks_the_group(
    service: str, database_url, amqp_url, events_exchange, token_issuer, token_verifier
):
    common: dict[str, Any] = {
        "database_url": database_url,
        "amqp_url": amqp_url,
        "events_exchange": events_exchange,
        "service_secret": "test-secret",
    }
    app: web.Application
    if service == "accounts":
        app = await build_accounts(AccountsSettings(**common))
        failures = await matrix(service, app, lambda running: running[ISSUER_KEY])
    else:
        if service == "ordering":
            app = await build_ordering(OrderingSettings(**common), verifier=token_verifier)
        elif service == "logistics":
            app = await build_logistics(LogisticsSettings(**common), token_verifier)
        else:
            app = await build_notifications(NotificationsSettings(**common), token_verifier)
        failures = await matrix(service, app, lambda _: token_issuer)
    assert failures == [], "\n".join(failures)
