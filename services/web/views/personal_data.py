"""« Mes données personnelles » (SPEC §1.6): download everything held about the member, erase
the account."""

import asyncio
import contextlib
import json
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from ..apiclient import API_KEY, Api, ApiError, ServiceDown
from ..groups import get_me
from ..i18n import _
from ..rendering import render
from ..sessions import SETTINGS_KEY, User, clear_session_cookie, require_user
from .common import as_list, form_values, redirect, routes, safe_next

ERASED_LANDING = "/?compte=supprime"
# At most this many calls to one service at once while gathering a download.
PARALLEL_CALLS = 6
# `GET /me/orders` answers at most this many orders; older ones are fetched one by one.
ORDERS_PAGE = 100


def _service_name(service: str) -> str:
    names = {
        "accounts": _("comptes"),
        "ordering": _("commandes"),
        "logistics": _("retraits et livraisons"),
    }
    return names.get(service, service)


def _back(request: web.Request) -> str:
    return safe_next(request.query.get("next"), "/groupes")


@routes.get("/compte/donnees")
async def personal_data(request: web.Request) -> web.StreamResponse:
    user = await require_user(request)
    me = await get_me(request, user)
    return render(request, "personal_data.html", {"me": me, "back": _back(request)})


@routes.get("/compte/donnees/telecharger")
async def download(request: web.Request) -> web.StreamResponse:
    """A JSON file of everything held about the member, or a clear page when a service does not
    answer: never a partial file."""
    user = await require_user(request)
    try:
        data = await collect(request.app[API_KEY], user)
    except ServiceDown as down:
        me = await get_me(request, user)
        return render(
            request,
            "personal_data.html",
            {
                "me": me,
                "back": _back(request),
                "download_error": _(
                    "Le service « %(service)s » ne répond pas pour l'instant : aucun fichier "
                    "n'a été créé, pour ne pas vous donner des données incomplètes. Réessayez "
                    "dans quelques minutes."
                )
                % {"service": _service_name(down.service)},
            },
            status=503,
        )
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    body = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    return web.Response(
        body=body.encode("utf-8"),
        content_type="application/json",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="vrac-mes-donnees-{stamp}.json"'},
    )


async def collect(api: Api, user: User) -> dict[str, Any]:
    """Accounts' export, then per group the member's orders, ledger, pickup choices and slots."""
    accounts = await api.call("accounts", "GET", "/v1/me/export", token=user.token)
    me = await api.call("accounts", "GET", "/v1/me", token=user.token)
    groups = []
    for membership in as_list(me, "memberships"):
        group = membership.get("group") or {}
        groups.append(
            {
                "group": {k: group.get(k) for k in ("id", "slug", "name", "city")},
                "role": membership.get("role"),
                **await _group_data(api, user, str(group.get("id"))),
            }
        )
    return {
        "exported_at": datetime.now(UTC).isoformat(),
        "user_id": str(user.user_id),
        "accounts": accounts,
        "groups": groups,
    }


async def _group_data(api: Api, user: User, group_id: str) -> dict[str, Any]:
    base = f"/v1/groups/{group_id}"
    listing = await api.call("ordering", "GET", f"{base}/distributions", token=user.token)
    distributions = as_list(listing, "distributions")
    answer = await api.call(
        "ordering",
        "GET",
        f"{base}/me/orders",
        token=user.token,
        params={"limit": str(ORDERS_PAGE)},
    )
    orders = as_list(answer, "orders")
    seen = {str(o.get("order_id")) for o in orders}
    missing = [
        d
        for d in distributions
        if isinstance(d.get("my_order"), dict) and str(d["my_order"].get("order_id")) not in seen
    ]
    limit = asyncio.Semaphore(PARALLEL_CALLS)

    async def get(service: str, path: str) -> Any:
        """The answer, or None when the service holds nothing there (404)."""
        async with limit:
            try:
                return await api.call(service, "GET", path, token=user.token)
            except ApiError as error:
                if error.status == 404:
                    return None
                raise

    older = await asyncio.gather(
        *(get("ordering", f"{base}/distributions/{d['distribution_id']}/order") for d in missing)
    )
    orders.extend(o for o in older if isinstance(o, dict))
    ledger = await api.call("ordering", "GET", f"{base}/me/ledger", token=user.token)

    async def logistics(distribution: dict[str, Any]) -> dict[str, Any] | None:
        path = f"{base}/distributions/{distribution['distribution_id']}"
        pickup, booking = await asyncio.gather(
            get("logistics", f"{path}/pickup"), get("logistics", f"{path}/booking")
        )
        held = isinstance(pickup, dict) and any(
            pickup.get(k) for k in ("choice", "consent", "request")
        )
        if booking is None and not held:
            return None
        return {
            "distribution_id": distribution["distribution_id"],
            "starts_at": distribution.get("starts_at"),
            "pickup": pickup,
            "booking": booking,
        }

    found = await asyncio.gather(*(logistics(d) for d in distributions))
    return {
        "ordering": {"orders": orders, "ledger": ledger},
        "logistics": {"distributions": [item for item in found if item is not None]},
    }


@routes.get("/compte/supprimer")
async def erase_form(request: web.Request) -> web.StreamResponse:
    user = await require_user(request)
    me = await get_me(request, user)
    return render(
        request, "erase_account.html", {"me": me, "back": _back(request), "confirmed": False}
    )


@routes.post("/compte/supprimer")
async def erase(request: web.Request) -> web.StreamResponse:
    user = await require_user(request)
    values = await form_values(request)
    back = safe_next(values.get("next"), "/groupes")
    errors: dict[str, str] = {}
    password = values.get("password", "")
    if not password:
        errors["password"] = _("Indiquez votre mot de passe.")
    if values.get("confirm") != "yes":
        errors["confirm"] = _("Cochez la case pour confirmer la suppression de votre compte.")
    if not errors:
        try:
            await request.app[API_KEY].call(
                "accounts", "POST", "/v1/me/erase", token=user.token, json={"password": password}
            )
        except ApiError as error:
            # 403 wrong-password; 422 for a password longer than any can be.
            if error.code != "wrong-password" and error.status not in (400, 422):
                raise
            errors["password"] = _("Mot de passe incorrect.")
        else:
            settings = request.app[SETTINGS_KEY]
            # Accounts ended the sessions with the account; say so to it anyway.
            with contextlib.suppress(ApiError, ServiceDown):
                await request.app[API_KEY].call(
                    "accounts", "DELETE", "/v1/sessions/current", session_id=user.session_id
                )
            response = redirect(ERASED_LANDING)
            clear_session_cookie(response, settings)
            return response
    me = await get_me(request, user)
    return render(
        request,
        "erase_account.html",
        {"me": me, "back": back, "errors": errors, "confirmed": values.get("confirm") == "yes"},
        status=400,
    )
