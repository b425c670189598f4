"""« Mes données personnelles » (SPEC §1.6): download everything held about the member, erase
the account."""

import asyncio
import contextlib
import json
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from shared.clients.accounts import PublicAccountsClient

from ..apiclient import API_KEY, Api, ApiError, ServiceDown
from ..clients import accounts
from ..groups import get_me, logged_in_me
from ..i18n import _
from ..rendering import render
from ..sessions import SETTINGS_KEY, User, clear_session_cookie, forget_user, require_user
from .common import form_values, page_data, redirect, safe_next
from .forms import EraseForm, check_form, erase_messages

routes = web.RouteTableDef()

ERASED_LANDING = "/?compte=supprime"
# Each answers `GET /internal/users/{id}/export` with everything it holds about the person.
SERVICES = ("accounts", "ordering", "logistics", "notifications")


def _service_name(service: str) -> str:
    names = {
        "accounts": _("comptes"),
        "ordering": _("commandes"),
        "logistics": _("retraits et livraisons"),
        "notifications": _("e-mails"),
    }
    return names.get(service, service)


def _back(request: web.Request) -> str:
    return safe_next(request.query.get("next"), "/groupes")


@routes.get("/compte/donnees")
async def personal_data(request: web.Request) -> web.StreamResponse:
    me = await logged_in_me(request)
    return render(request, "personal_data.html", {"me": page_data(me), "back": _back(request)})


async def _unavailable(request: web.Request, user: User, down: ServiceDown) -> web.Response:
    me = await get_me(request, user)
    return render(
        request,
        "personal_data.html",
        {
            "me": page_data(me),
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


@routes.get("/compte/donnees/telecharger")
async def download(request: web.Request) -> web.StreamResponse:
    """A JSON file of everything held about the member, or a clear page when a service does not
    answer: never a partial file."""
    user = await require_user(request)
    try:
        data = await collect(request.app[API_KEY], user)
    except ServiceDown as down:
        return await _unavailable(request, user, down)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    body = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    return web.Response(
        body=body.encode("utf-8"),
        content_type="application/json",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="vrac-mes-donnees-{stamp}.json"'},
    )


@routes.get("/compte/donnees/consulter")
async def view(request: web.Request) -> web.StreamResponse:
    """The same data as the file, as a page to read (or print)."""
    user = await require_user(request)
    try:
        data = await collect(request.app[API_KEY], user)
    except ServiceDown as down:
        return await _unavailable(request, user, down)
    return render(request, "personal_data_view.html", {"data": data, "back": _back(request)})


async def collect(api: Api, user: User) -> dict[str, Any]:
    """Every service's internal export of the member (service token), then regrouped by group:
    every group the member ever belonged to, including groups left, gets its own entry."""
    path = f"/internal/users/{user.user_id}/export"
    calls = [asyncio.ensure_future(api.call_as_service(svc, path)) for svc in SERVICES]
    try:
        answers = await asyncio.gather(*calls)
    except BaseException:
        # One service is down: no file, so the other calls are of no use any more.
        for call in calls:
            call.cancel()
        raise
    exports = {
        svc: answer if isinstance(answer, dict) else {}
        for svc, answer in zip(SERVICES, answers, strict=True)
    }
    # The public list names groups the member has left too (accounts forgot the membership).
    named = {str(g.id): page_data(g) for g in await PublicAccountsClient(api).groups()}
    memberships = exports["accounts"].get("memberships") or []
    current = {str(m.get("group_id")): m for m in memberships if isinstance(m, dict)}
    groups: dict[str, dict[str, Any]] = {}
    general: dict[str, dict[str, Any]] = {}
    for service, export in exports.items():
        for key, value in export.items():
            if key in ("service", "user_id", "group_ids"):
                continue
            if service == "accounts" and key not in ("memberships", "memberships_ended"):
                continue  # the account itself is shown whole, at the top
            if value == []:
                continue  # nothing of that kind: no empty heading
            items = value if isinstance(value, list) else None
            if not items or not all(isinstance(i, dict) for i in items):
                if not (service == "notifications" and key == "language"):
                    general.setdefault(service, {})[key] = value
                continue
            for item in items:
                group_id = item.get("group_id")
                bucket = _group(groups, str(group_id), named, current) if group_id else None
                target = bucket if bucket is not None else general
                target.setdefault(service, {}).setdefault(key, []).append(item)
    for group_id in current:
        _group(groups, group_id, named, current)
    for bucket in groups.values():
        ended = [
            str(row.get("ended_at"))
            for service in SERVICES
            for row in bucket.get(service, {}).get("memberships_ended", [])
        ]
        bucket["left_at"] = None if bucket["member_now"] or not ended else max(ended)
        ledger = bucket.get("ordering", {}).get("ledger")
        if isinstance(ledger, list):
            bucket["ordering"]["ledger"] = {
                "balance_cents": sum(int(e.get("amount_cents") or 0) for e in ledger),
                "entries": ledger,
            }
    return {
        "exported_at": datetime.now(UTC).isoformat(),
        "user_id": str(user.user_id),
        "language": exports["notifications"].get("language"),
        "accounts": {
            k: v
            for k, v in exports["accounts"].items()
            if k not in ("memberships", "memberships_ended")
        },
        "groups": sorted(
            groups.values(), key=lambda g: (not g["member_now"], str(g["group"]["name"]))
        ),
        "not_in_a_group": general,
    }


def _group(
    groups: dict[str, dict[str, Any]],
    group_id: str,
    named: dict[str, dict[str, Any]],
    current: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    if group_id not in groups:
        group = named.get(group_id) or {"id": group_id}
        membership = current.get(group_id)
        groups[group_id] = {
            "group": {k: group.get(k) for k in ("id", "slug", "name", "city")},
            "member_now": membership is not None,
            "role": membership.get("role") if membership else None,
        }
    return groups[group_id]


@routes.get("/compte/supprimer")
async def erase_form(request: web.Request) -> web.StreamResponse:
    me = await logged_in_me(request)
    return render(
        request,
        "erase_account.html",
        {"me": page_data(me), "back": _back(request), "confirmed": False},
    )


@routes.post("/compte/supprimer")
async def erase(request: web.Request) -> web.StreamResponse:
    user = await require_user(request)
    values = await form_values(request)
    back = safe_next(values.get("next"), "/groupes")
    form, errors = check_form(EraseForm, values, erase_messages)
    if form is not None:
        try:
            await accounts(request, user).erase_me(form.password)
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
            forget_user(request, user.user_id)
            response = redirect(ERASED_LANDING)
            clear_session_cookie(response, settings)
            return response
    me = await get_me(request, user)
    return render(
        request,
        "erase_account.html",
        {
            "me": page_data(me),
            "back": back,
            "errors": errors,
            "confirmed": values.get("confirm") == "yes",
        },
        status=400,
    )
