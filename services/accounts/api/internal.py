"""Routes for the other services (service token): contact details, groups, members, the reset
link's token, a person's data download."""

from functools import partial

from aiohttp import web

from services.accounts import export, groups, password_reset, profile
from services.accounts.api.common import for_services
from services.accounts.keys import SETTINGS_KEY
from services.accounts.models import Contact, Group, InternalMemberList, ResetDelivery
from shared.openapi import operation

routes = web.RouteTableDef()
internal = partial(operation, tags=["internal"])


@routes.get("/internal/users/{user_id}/contact")
@internal("A person's contact details, at the moment a service needs them", response=Contact)
async def internal_contact(request: web.Request) -> web.Response:
    return await for_services(request, "user_id", profile.contact)


@routes.get("/internal/groups/{group_id}")
@internal("A group, for services", response=Group)
async def internal_group(request: web.Request) -> web.Response:
    return await for_services(request, "group_id", groups.group_for_services)


@routes.get("/internal/groups/{group_id}/members")
@internal("Member ids, roles and languages of a group, for services", response=InternalMemberList)
async def internal_members(request: web.Request) -> web.Response:
    return await for_services(request, "group_id", groups.members_for_services)


@routes.get("/internal/password-resets/{reset_id}")
@internal(
    "The reset link's token, handed out once to the notifications service", response=ResetDelivery
)
async def internal_reset(request: web.Request) -> web.Response:
    return await for_services(request, "reset_id", password_reset.hand_out_reset_token)


@routes.get("/internal/users/{user_id}/export")
@internal(
    "Everything accounts holds about a person, for their download (the web)",
    response=export.AccountsExport,
    tags=["internal", "personal data"],
)
async def internal_export(request: web.Request) -> web.Response:
    export_user = partial(export.export_user, settings=request.app[SETTINGS_KEY])
    return await for_services(request, "user_id", export_user)
