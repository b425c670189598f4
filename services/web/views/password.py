"""Password reset: « mot de passe oublié » (the link accounts has mailed) and the new password."""

from aiohttp import web

from .. import i18n
from ..apiclient import API_KEY, ApiError
from ..clients import accounts
from ..i18n import _
from ..rendering import render
from ..sessions import SETTINGS_KEY, clear_session_cookie, forget_everyone
from .common import form_values, forwarded_for
from .forms import (
    ForgotForm,
    PasswordResetForm,
    check_form,
    forgot_messages,
    password_reset_messages,
)
from .refusals import api_field_errors

routes = web.RouteTableDef()


@routes.get("/mot-de-passe/oublie")
async def forgot_form(request: web.Request) -> web.StreamResponse:
    return render(request, "forgot.html", {"sent": False})


def _forgot_refused(
    request: web.Request, values: dict[str, str], errors: dict[str, str], status: int = 400
) -> web.Response:
    return render(
        request, "forgot.html", {"sent": False, "values": values, "errors": errors}, status=status
    )


@routes.post("/mot-de-passe/oublie")
async def forgot(request: web.Request) -> web.StreamResponse:
    values = await form_values(request)
    form, errors = check_form(ForgotForm, values, forgot_messages)
    if form is None:
        return _forgot_refused(request, values, errors)
    try:
        await request.app[API_KEY].call(
            "accounts",
            "POST",
            "/v1/password-resets",
            json={"email": form.email},
            headers=await forwarded_for(request),
        )
    except ApiError as error:
        if error.status == 429:
            message = _("Trop d'essais. Attendez quelques minutes puis réessayez.")
            return _forgot_refused(request, values, {"_form": message}, status=429)
        if error.status != 422:
            raise
        return _forgot_refused(request, values, forgot_messages())
    return render(request, "forgot.html", {"sent": True})


@routes.get("/mot-de-passe/nouveau")
async def reset_form(request: web.Request) -> web.StreamResponse:
    return render(request, "reset.html", {"token": request.query.get("token", "")[:512]})


@routes.post("/mot-de-passe/nouveau")
async def reset(request: web.Request) -> web.StreamResponse:
    values = await form_values(request)
    token = values.get("token", "")[:512]
    form, errors = check_form(
        PasswordResetForm,
        {**values, "token": token},
        password_reset_messages,
        under={"token": "_form"},
    )
    if form is not None:
        try:
            await accounts(request).confirm_password_reset(form.token, form.new_password)
        except ApiError as error:
            if error.status == 422:
                errors = api_field_errors(error, i18n.current_language(), {"new_password"})
            elif error.status in (400, 404, 410):
                errors["_form"] = _("Ce lien n'est plus valable. Demandez un nouveau lien.")
            else:
                raise
        else:
            forget_everyone(request)  # accounts ended that person's sessions: whose, untold
            response = render(request, "reset_done.html")
            clear_session_cookie(response, request.app[SETTINGS_KEY])
            return response
    return render(request, "reset.html", {"token": token, "errors": errors}, status=400)
