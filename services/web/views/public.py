"""Public pages: home, join link, sign-up, log-in, log-out, password reset."""

import contextlib
from typing import Any

from aiohttp import web

from .. import i18n
from ..apiclient import API_KEY, ApiError
from ..clientaddr import request_client_address
from ..groups import get_me, public_group
from ..i18n import _
from ..rendering import CSRF_COOKIE_SET, CSRF_VALUE, render
from ..sessions import (
    SETTINGS_KEY,
    clear_session_cookie,
    load_user,
    require_user,
    set_session_cookie,
)
from ..validation import check_person
from .common import api_field_errors, form_values, redirect, routes, safe_next

SIGNUP_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "password",
    "phone",
    "street",
    "postcode",
    "city",
)


async def forwarded_for(request: web.Request) -> dict[str, str]:
    """The member's address for accounts' per-address throttling (log-in, sign-up, reset).

    X-Client-Address is believed by accounts only with the web's service token beside it;
    X-Forwarded-For carries the same address for an accounts that lists the web among its
    trusted proxies instead."""
    address = request_client_address(request, request.app[SETTINGS_KEY].trusted_networks)
    headers = {"X-Forwarded-For": address, "X-Client-Address": address}
    token = await request.app[API_KEY].service_tokens.get()
    if token is not None:
        headers["X-Service-Token"] = token
    return headers


@routes.get("/")
async def home(request: web.Request) -> web.StreamResponse:
    user = await load_user(request)
    if user is not None:
        me = await get_me(request, user)
        memberships = me.get("memberships") or []
        if len(memberships) == 1:
            raise web.HTTPSeeOther(f"/g/{memberships[0]['group']['slug']}/commandes")
        raise web.HTTPSeeOther("/groupes")
    answer = await request.app[API_KEY].call("accounts", "GET", "/v1/groups")
    return render(request, "home.html", {"groups": answer.get("groups", [])})


@routes.get("/groupes")
async def my_groups(request: web.Request) -> web.StreamResponse:
    """« Changer de groupe »: the member's groups, and the others they may join."""
    user = await require_user(request)
    me = await get_me(request, user)
    answer = await request.app[API_KEY].call("accounts", "GET", "/v1/groups")
    mine = {m["group"]["id"] for m in me.get("memberships") or []}
    others = [g for g in answer.get("groups", []) if g["id"] not in mine]
    return render(request, "groups.html", {"me": me, "others": others})


@routes.get("/g/{slug}")
async def join_page(request: web.Request) -> web.StreamResponse:
    group = await public_group(request, request.match_info["slug"])
    user = await load_user(request)
    member = False
    if user is not None:
        member = user.role_in(group["id"]) is not None
    return render(request, "join.html", {"group": group, "member": member})


@routes.post("/g/{slug}/rejoindre")
async def join(request: web.Request) -> web.StreamResponse:
    group = await public_group(request, request.match_info["slug"])
    user = await require_user(request)
    await request.app[API_KEY].call(
        "accounts", "POST", f"/v1/groups/{group['id']}/members/me", token=user.token
    )
    raise web.HTTPSeeOther(f"/g/{group['slug']}/commandes")


async def _group_from_query(request: web.Request) -> dict[str, Any] | None:
    slug = request.query.get("groupe", "")
    if not slug or len(slug) > 80:
        return None
    try:
        return await public_group(request, slug)
    except web.HTTPNotFound:
        return None


@routes.get("/connexion")
async def login_form(request: web.Request) -> web.StreamResponse:
    group = await _group_from_query(request)
    return render(request, "login.html", {"group": group, "next": request.query.get("next", "")})


async def _open_session(request: web.Request, email: str, password: str) -> str:
    answer = await request.app[API_KEY].call(
        "accounts",
        "POST",
        "/v1/sessions",
        json={"email": email, "password": password},
        headers=await forwarded_for(request),
    )
    return str(answer["session_id"])


async def _start_session(
    request: web.Request, response: web.StreamResponse, session_id: str
) -> None:
    """A new session id at log-in; the previous session (if any) is ended on the server."""
    settings = request.app[SETTINGS_KEY]
    previous = request.cookies.get(settings.session_cookie)
    if previous and previous != session_id:
        with contextlib.suppress(ApiError):
            await request.app[API_KEY].call(
                "accounts", "DELETE", "/v1/sessions/current", session_id=previous
            )
    set_session_cookie(response, settings, session_id)
    # A fresh CSRF value for the new session.
    from ..csrf import CsrfSigner

    request[CSRF_VALUE] = CsrfSigner.new_cookie_value()
    response.set_cookie(
        settings.csrf_cookie,
        request[CSRF_VALUE],
        path="/",
        secure=settings.cookies_secure,
        httponly=True,
        samesite="Lax",
    )
    request[CSRF_COOKIE_SET] = True


async def _token_for(request: web.Request, session_id: str) -> str:
    answer = await request.app[API_KEY].call(
        "accounts", "POST", "/v1/sessions/current/token", session_id=session_id
    )
    return str(answer["access_token"])


@routes.post("/connexion")
async def login(request: web.Request) -> web.StreamResponse:
    values = await form_values(request)
    group = await _group_from_query(request)
    next_path = values.get("next", "")
    errors: dict[str, str] = {}
    email, password = values.get("email", ""), values.get("password", "")
    if not email:
        errors["email"] = _("Indiquez votre adresse e-mail.")
    if not password:
        errors["password"] = _("Indiquez votre mot de passe.")
    if not errors:
        try:
            session_id = await _open_session(request, email, password)
        except ApiError as error:
            if error.status == 429:
                errors["_form"] = _("Trop d'essais. Attendez quelques minutes puis réessayez.")
            elif error.status in (400, 401, 422):
                errors["password"] = _("Adresse e-mail ou mot de passe incorrect.")
            else:
                raise
        else:
            target = safe_next(next_path, f"/g/{group['slug']}" if group else "/")
            response = redirect(target)
            await _start_session(request, response, session_id)
            return response
    values.pop("password", None)
    return render(
        request,
        "login.html",
        {"group": group, "next": next_path, "errors": errors, "values": values},
        status=400,
    )


@routes.get("/inscription")
async def signup_form(request: web.Request) -> web.StreamResponse:
    group = await _group_from_query(request)
    return render(request, "signup.html", {"group": group})


@routes.post("/inscription")
async def signup(request: web.Request) -> web.StreamResponse:
    values = await form_values(request)
    group = await _group_from_query(request)
    required = {"first_name", "last_name", "email", "password"}
    if group is not None and group.get("phone_required"):
        required.add("phone")
    if group is not None and group.get("address_required"):
        required.update(("street", "postcode", "city"))
    # Every field at once, the phone too: the member fixes everything in one go.
    errors = check_person(values, required)
    if not errors:
        body: dict[str, Any] = {k: values[k] for k in SIGNUP_FIELDS if values.get(k)}
        body["language"] = i18n.current_language()
        if group is not None:
            body["group_id"] = group["id"]
        try:
            await request.app[API_KEY].call(
                "accounts", "POST", "/v1/signup", json=body, headers=await forwarded_for(request)
            )
            session_id = await _open_session(request, values["email"], values["password"])
        except ApiError as error:
            if error.status == 401:
                errors["email"] = _(
                    "Un compte existe peut-être déjà avec cette adresse : "
                    "connectez-vous ou changez de mot de passe."
                )
            elif error.status in (400, 409, 422):
                errors = api_field_errors(error, i18n.current_language(), set(SIGNUP_FIELDS))
            elif error.status == 429:
                errors["_form"] = _("Trop d'essais. Attendez quelques minutes puis réessayez.")
            else:
                raise
        else:
            target = "/"
            if group is not None:
                token = await _token_for(request, session_id)
                await request.app[API_KEY].call(
                    "accounts", "POST", f"/v1/groups/{group['id']}/members/me", token=token
                )
                target = f"/g/{group['slug']}/commandes"
            response = redirect(target)
            await _start_session(request, response, session_id)
            return response
    values.pop("password", None)
    return render(
        request, "signup.html", {"group": group, "errors": errors, "values": values}, status=400
    )


@routes.post("/deconnexion")
async def logout(request: web.Request) -> web.StreamResponse:
    settings = request.app[SETTINGS_KEY]
    session_id = request.cookies.get(settings.session_cookie)
    if session_id:
        with contextlib.suppress(ApiError):
            await request.app[API_KEY].call(
                "accounts", "DELETE", "/v1/sessions/current", session_id=session_id
            )
    response = redirect("/connexion")
    clear_session_cookie(response, settings)
    return response


@routes.get("/mot-de-passe/oublie")
async def forgot_form(request: web.Request) -> web.StreamResponse:
    return render(request, "forgot.html", {"sent": False})


@routes.post("/mot-de-passe/oublie")
async def forgot(request: web.Request) -> web.StreamResponse:
    values = await form_values(request)
    if not values.get("email") or "@" not in values["email"]:
        return render(
            request,
            "forgot.html",
            {
                "sent": False,
                "values": values,
                "errors": {"email": _("Indiquez l'adresse e-mail de votre compte.")},
            },
            status=400,
        )
    try:
        await request.app[API_KEY].call(
            "accounts",
            "POST",
            "/v1/password-resets",
            json={"email": values["email"]},
            headers=await forwarded_for(request),
        )
    except ApiError as error:
        if error.status == 429:
            return render(
                request,
                "forgot.html",
                {
                    "sent": False,
                    "values": values,
                    "errors": {
                        "_form": _("Trop d'essais. Attendez quelques minutes puis réessayez.")
                    },
                },
                status=429,
            )
        if error.status != 422:
            raise
        return render(
            request,
            "forgot.html",
            {
                "sent": False,
                "values": values,
                "errors": {"email": _("Indiquez l'adresse e-mail de votre compte.")},
            },
            status=400,
        )
    return render(request, "forgot.html", {"sent": True})


@routes.get("/mot-de-passe/nouveau")
async def reset_form(request: web.Request) -> web.StreamResponse:
    return render(request, "reset.html", {"token": request.query.get("token", "")[:512]})


@routes.post("/mot-de-passe/nouveau")
async def reset(request: web.Request) -> web.StreamResponse:
    values = await form_values(request)
    token = values.get("token", "")[:512]
    errors: dict[str, str] = {}
    password = values.get("new_password", "")
    if len(password) < 8:
        errors["new_password"] = _("Le mot de passe doit faire au moins 8 caractères.")
    elif password != values.get("confirm_password", ""):
        errors["confirm_password"] = _("Les deux mots de passe ne sont pas identiques.")
    if not token:
        errors["_form"] = _("Ce lien n'est plus valable. Demandez un nouveau lien.")
    if not errors:
        try:
            await request.app[API_KEY].call(
                "accounts",
                "POST",
                "/v1/password-resets/confirm",
                json={"token": token, "new_password": password},
            )
        except ApiError as error:
            if error.status == 422:
                errors = api_field_errors(error, i18n.current_language(), {"new_password"})
            elif error.status in (400, 404, 410):
                errors["_form"] = _("Ce lien n'est plus valable. Demandez un nouveau lien.")
            else:
                raise
        else:
            response = render(request, "reset_done.html")
            clear_session_cookie(response, request.app[SETTINGS_KEY])
            return response
    return render(request, "reset.html", {"token": token, "errors": errors}, status=400)
