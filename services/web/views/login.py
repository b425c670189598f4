"""Log-in, sign-up and log-out."""

import contextlib
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from shared.clients.accounts import Group

from .. import i18n
from ..apiclient import API_KEY, ApiError
from ..csrf import CsrfSigner
from ..groups import keep_new_session, public_group
from ..i18n import _
from ..rendering import CSRF_COOKIE_SET, CSRF_VALUE, render
from ..sessions import (
    SETTINGS_KEY,
    clear_session_cookie,
    forget_session,
    set_csrf_cookie,
    set_session_cookie,
)
from .common import form_values, forwarded_for, page_data, redirect, safe_next
from .forms import LoginForm, SignupForm, check_form, login_messages
from .refusals import api_field_errors

routes = web.RouteTableDef()

SIGNUP_FIELDS = set(SignupForm.model_fields)


async def _group_from_query(request: web.Request) -> Group | None:
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
    return render(
        request, "login.html", {"group": page_data(group), "next": request.query.get("next", "")}
    )


async def _open_session(request: web.Request, email: str, password: str) -> str:
    answer = await request.app[API_KEY].call(
        "accounts",
        "POST",
        "/v1/sessions",
        json={"email": email, "password": password},
        headers=await forwarded_for(request),
    )
    return str(answer["session_id"])


async def _logged_in(request: web.Request, target: str, session_id: str) -> web.Response:
    """To `target` with a new session id; the previous session (if any) is ended on the server."""
    response = redirect(target)
    settings = request.app[SETTINGS_KEY]
    previous = request.cookies.get(settings.session_cookie)
    if previous and previous != session_id:
        with contextlib.suppress(ApiError):
            await request.app[API_KEY].call(
                "accounts", "DELETE", "/v1/sessions/current", session_id=previous
            )
        forget_session(request, previous)
    set_session_cookie(response, settings, session_id)
    await keep_new_session(request, session_id)
    # A fresh CSRF value for the new session.
    request[CSRF_VALUE] = CsrfSigner.new_cookie_value()
    set_csrf_cookie(response, settings, request[CSRF_VALUE])
    request[CSRF_COOKIE_SET] = True
    return response


def _refused(
    request: web.Request, template: str, values: dict[str, str], context: Mapping[str, object]
) -> web.Response:
    """The form again with its errors and what was typed, but never the password."""
    kept = {k: v for k, v in values.items() if k != "password"}
    return render(request, template, {**context, "values": kept}, status=400)


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
            target = safe_next(next_path, f"/g/{group.slug}" if group else "/")
            return await _logged_in(request, target, session_id)
    context = {"group": page_data(group), "next": next_path, "errors": errors}
    return _refused(request, "login.html", values, context)


@routes.get("/inscription")
async def signup_form(request: web.Request) -> web.StreamResponse:
    group = await _group_from_query(request)
    return render(request, "signup.html", {"group": page_data(group)})


@routes.post("/inscription")
async def signup(request: web.Request) -> web.StreamResponse:
    values = await form_values(request)
    group = await _group_from_query(request)
    required = {"first_name", "last_name", "email", "password"}
    if group is not None and group.phone_required:
        required.add("phone")
    if group is not None and group.address_required:
        required.update(("street", "postcode", "city"))
    form, errors = check_form(SignupForm, values, context={"required": required})
    if form is not None:
        body: dict[str, Any] = form.given()
        body["language"] = i18n.current_language()
        if group is not None:
            body["group_id"] = str(group.id)
        try:
            await request.app[API_KEY].call(
                "accounts", "POST", "/v1/signup", json=body, headers=await forwarded_for(request)
            )
            session_id = await _open_session(request, form.email, form.password)
        except ApiError as error:
            if error.status == 401:
                errors["email"] = _(
                    "Un compte existe peut-être déjà avec cette adresse : "
                    "connectez-vous ou changez de mot de passe."
                )
            elif error.status in (400, 409, 422):
                errors = api_field_errors(error, i18n.current_language(), SIGNUP_FIELDS)
            elif error.status == 429:
                errors["_form"] = _("Trop d'essais. Attendez quelques minutes puis réessayez.")
            else:
                raise
        else:
            target = "/"
            if group is not None:
                token = await _token_for(request, session_id)
                await request.app[API_KEY].call(
                    "accounts", "POST", f"/v1/groups/{group.id}/members/me", token=token
                )
                target = f"/g/{group.slug}/commandes"
            return await _logged_in(request, target, session_id)
    return _refused(request, "signup.html", values, {"group": page_data(group), "errors": errors})


@routes.post("/deconnexion")
async def logout(request: web.Request) -> web.StreamResponse:
    settings = request.app[SETTINGS_KEY]
    session_id = request.cookies.get(settings.session_cookie)
    if session_id:
        with contextlib.suppress(ApiError):
            await request.app[API_KEY].call(
                "accounts", "DELETE", "/v1/sessions/current", session_id=session_id
            )
        forget_session(request, session_id)
    response = redirect("/connexion")
    clear_session_cookie(response, settings)
    return response
