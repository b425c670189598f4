"""Routes: log-in and sessions, password resets, service tokens, the token-signing key."""

from functools import partial

from aiohttp import web

from services.accounts import password_reset, sessions
from services.accounts.api.common import accepted, accepted_alike, dump, session_id
from services.accounts.client_address import client_address
from services.accounts.keys import ISSUER_KEY, SETTINGS_KEY
from services.accounts.models import (
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
# Every route here is called without an access token (a session id, a secret or nothing).
without_token = partial(operation, tags=["sessions"], auth=False)


@routes.get("/.well-known/jwks.json")
async def jwks(request: web.Request) -> web.Response:
    return web.json_response(request.app[ISSUER_KEY].jwks())


@routes.post("/v1/sessions")
@without_token("Log in", body=LogIn, response=SessionCreated, status=201)
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
@without_token("Exchange the session for a short-lived access token", response=AccessToken)
async def session_token(request: web.Request) -> web.Response:
    sid = session_id(request)
    return dump(await sessions.session_token(request.app[DB_KEY], request.app[ISSUER_KEY], sid))


@routes.delete("/v1/sessions/current")
@without_token("Log out: the session ends on the server", status=204)
async def log_out(request: web.Request) -> web.Response:
    await sessions.end_session(request.app[DB_KEY], session_id(request))
    return web.Response(status=204)


@routes.post("/v1/password-resets")
@accepted_alike(
    "Ask for a password reset link (same answer for any email)", ResetRequest, "sessions"
)
async def reset_request(request: web.Request) -> web.Response:
    body = await parse_json(request, ResetRequest)
    await password_reset.request_reset(request.app[DB_KEY], request.app[SETTINGS_KEY], body.email)
    return accepted()


@routes.post("/v1/password-resets/confirm")
@without_token("Set a new password with the emailed token", body=ResetConfirm, status=204)
async def reset_confirm(request: web.Request) -> web.Response:
    body = await parse_json(request, ResetConfirm)
    await password_reset.confirm_reset(request.app[DB_KEY], request.app[SETTINGS_KEY], body)
    return web.Response(status=204)


@routes.post("/v1/service-tokens")
@without_token(
    "A service token for internal calls",
    body=ServiceTokenRequest,
    response=AccessToken,
    tags=["internal"],
)
async def service_token(request: web.Request) -> web.Response:
    body = await parse_json(request, ServiceTokenRequest)
    return dump(sessions.service_token(request.app[SETTINGS_KEY], request.app[ISSUER_KEY], body))
