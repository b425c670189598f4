"""Routes for the other services (service token): contact details, groups, members, the reset
link's token, a person's data download."""

from aiohttp import web

from services.accounts import export, groups, password_reset, profile
from services.accounts.api.common import dump, for_services
from services.accounts.keys import SETTINGS_KEY
from services.accounts.models import Contact, Group, InternalMemberList, ResetDelivery
from shared.auth import service_principal
from shared.bodies import path_uuid
from shared.openapi import operation
from shared.runtime import DB_KEY

routes = web.RouteTableDef()


@routes.get("/internal/users/{user_id}/contact")
@operation(
    "A person's contact details, at the moment a service needs them",
    response=Contact,
    tags=["internal"],
)
async def internal_contact(request: web.Request) -> web.Response:
    return await for_services(request, "user_id", profile.contact)


@routes.get("/internal/groups/{group_id}")
@operation("A group, for services", response=Group, tags=["internal"])
async def internal_group(request: web.Request) -> web.Response:
    return await for_services(request, "group_id", groups.group_for_services)


@routes.get("/internal/groups/{group_id}/members")
@operation(
    "Member ids, roles and languages of a group, for services",
    response=InternalMemberList,
    tags=["internal"],
)
async def internal_members(request: web.Request) -> web.Response:
    return await for_services(request, "group_id", groups.members_for_services)


@routes.get("/internal/password-resets/{reset_id}")
@operation(
    "The reset link's token, handed out once to the notifications service",
    response=ResetDelivery,
    tags=["internal"],
)
async def internal_reset(request: web.Request) -> web.Response:
    return await for_services(request, "reset_id", password_reset.hand_out_reset_token)


@routes.get("/internal/users/{user_id}/export")
@operation(
    "Everything accounts holds about a person, for their download (the web)",
    response=export.AccountsExport,
    tags=["internal", "personal data"],
)
async def internal_export(request: web.Request) -> web.Response:
    await service_principal(request)
    found = await export.export_user(
        request.app[DB_KEY], request.app[SETTINGS_KEY], path_uuid(request, "user_id")
    )
    return dump(found)
