"""Routes: signing up, a member's own account, their data download and erasure."""

from aiohttp import web

from services.accounts import erasure, export, profile, signup
from services.accounts.api.common import accepted, accepted_alike, dump, person
from services.accounts.keys import SETTINGS_KEY
from services.accounts.models import Erase, Me, PersonalData, ProfileUpdate, SignUp
from shared.bodies import parse_json
from shared.http import json_ok
from shared.openapi import operation
from shared.runtime import DB_KEY

routes = web.RouteTableDef()


@routes.post("/v1/signup")
@accepted_alike("Sign up (same answer for a new or a known email)", SignUp, "people")
async def sign_up(request: web.Request) -> web.Response:
    body = await parse_json(request, SignUp)
    await signup.sign_up(request.app[DB_KEY], body)
    return accepted()


@routes.get("/v1/me")
@operation("My account and my groups", response=Me, tags=["people"])
async def get_me(request: web.Request) -> web.Response:
    caller = await person(request)
    return dump(await profile.me(request.app[DB_KEY], caller.user_id))


@routes.patch("/v1/me")
@operation(
    "Change my account details or language", body=ProfileUpdate, response=Me, tags=["people"]
)
async def patch_me(request: web.Request) -> web.Response:
    caller = await person(request)
    body = await parse_json(request, ProfileUpdate)
    return dump(await profile.update_profile(request.app[DB_KEY], caller.user_id, body))


@routes.get("/v1/me/export")
@operation("Everything accounts holds about me", response=PersonalData, tags=["personal data"])
async def export_mine(request: web.Request) -> web.Response:
    caller = await person(request)
    return json_ok(
        await export.export_personal_data(
            request.app[DB_KEY], request.app[SETTINGS_KEY], caller.user_id
        )
    )


@routes.post("/v1/me/erase")
@operation("Erase my account everywhere", body=Erase, status=204, tags=["personal data"])
async def erase(request: web.Request) -> web.Response:
    caller = await person(request)
    body = await parse_json(request, Erase)
    await erasure.erase(
        request.app[DB_KEY], request.app[SETTINGS_KEY], caller.user_id, body.password
    )
    return web.Response(status=204)
