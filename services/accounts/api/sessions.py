"""Routes: log-in and sessions, password resets, service tokens, the token-signing key."""

from aiohttp import web

from services.accounts import password_reset, sessions
from services.accounts.api.common import dump, session_id
from services.accounts.client_address import client_address
from services.accounts.keys import ISSUER_KEY, SETTINGS_KEY
from services.accounts.models import (
    Accepted,
    AccessToken,
    LogIn,
    ResetConfirm,
    ResetRequest,
    ServiceTokenRequest,
    SessionCreated,
)
from shared.bodies import parse_json
from shared.openapi import operation
from shared.runtime import DB_KEY

routes = web.RouteTableDef()


@routes.get("/.well-known/jwks.json")
async def jwks(request: web.Request) -> web.Response:
    return web.json_response(request.app[ISSUER_KEY].jwks())


@routes.post("/v1/sessions")
@operation("Log in", body=LogIn, response=SessionCreated, status=201, tags=["sessions"], auth=False)
async def log_in(request: web.Request) -> web.Response:
    body = await parse_json(request, LogIn)
    sid, user_id = await sessions.log_in(
        request.app[DB_KEY],
        request.app[SETTINGS_KEY],
        body.email,
        body.password,
        await client_address(request),
    )
    return dump(SessionCreated(session_id=sid, user_id=user_id), 201)


@routes.post("/v1/sessions/current/token")
@operation(
    "Exchange the session for a short-lived access token",
    response=AccessToken,
    tags=["sessions"],
    auth=False,
)
async def session_token(request: web.Request) -> web.Response:
    sid = session_id(request)
    return dump(await sessions.session_token(request.app[DB_KEY], request.app[ISSUER_KEY], sid))


@routes.delete("/v1/sessions/current")
@operation("Log out: the session ends on the server", status=204, tags=["sessions"], auth=False)
async def log_out(request: web.Request) -> web.Response:
    await sessions.end_session(request.app[DB_KEY], session_id(request))
    return web.Response(status=204)


@routes.post("/v1/password-resets")
@operation(
    "Ask for a password reset link (same answer for any email)",
    body=ResetRequest,
    response=Accepted,
    status=202,
    tags=["sessions"],
    auth=False,
)
async def reset_request(request: web.Request) -> web.Response:
    body = await parse_json(request, ResetRequest)
    await password_reset.request_reset(request.app[DB_KEY], request.app[SETTINGS_KEY], body.email)
    return dump(Accepted(), 202)


@routes.post("/v1/password-resets/confirm")
@operation(
    "Set a new password with the emailed token",
    body=ResetConfirm,
    status=204,
    tags=["sessions"],
    auth=False,
)
async def reset_confirm(request: web.Request) -> web.Response:
    body = await parse_json(request, ResetConfirm)
    await password_reset.confirm_reset(request.app[DB_KEY], request.app[SETTINGS_KEY], body)
    return web.Response(status=204)


@routes.post("/v1/service-tokens")
@operation(
    "A service token for internal calls",
    body=ServiceTokenRequest,
    response=AccessToken,
    tags=["internal"],
    auth=False,
)
async def service_token(request: web.Request) -> web.Response:
    body = await parse_json(request, ServiceTokenRequest)
    return dump(sessions.service_token(request.app[SETTINGS_KEY], request.app[ISSUER_KEY], body))
