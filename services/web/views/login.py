"""Log-in, sign-up and log-out."""

import contextlib
from typing import Any

from aiohttp import web

from .. import i18n
from ..apiclient import API_KEY, ApiError
from ..csrf import CsrfSigner
from ..groups import public_group
from ..i18n import _
from ..rendering import CSRF_COOKIE_SET, CSRF_VALUE, render
from ..sessions import SETTINGS_KEY, clear_session_cookie, set_csrf_cookie, set_session_cookie
from ..validation import check_person
from .common import api_field_errors, form_values, forwarded_for, redirect, safe_next
from .forms import LoginForm, check_form, login_messages

routes = web.RouteTableDef()

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
    request[CSRF_VALUE] = CsrfSigner.new_cookie_value()
    set_csrf_cookie(response, settings, request[CSRF_VALUE])
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
    form, errors = check_form(LoginForm, values, login_messages)
    if form is not None:
        try:
            session_id = await _open_session(request, form.email, form.password)
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
