"""Routes: groups, joining and leaving them, and what the association's admins change."""

from functools import partial

from aiohttp import web

from services.accounts import groups, memberships
from services.accounts.api.common import dump, for_caller, person, require_admin
from services.accounts.models import (
    Group,
    GroupCreate,
    GroupList,
    GroupUpdate,
    MemberList,
    Membership,
)
from shared.auth import principal
from shared.bodies import parse_json, path_uuid
from shared.openapi import operation
from shared.runtime import DB_KEY

routes = web.RouteTableDef()
about_groups = partial(operation, tags=["groups"])


@routes.get("/v1/groups")
@about_groups("List the groups of the deployment", response=GroupList, auth=False)
async def list_groups(request: web.Request) -> web.Response:
    return dump(await groups.list_groups(request.app[DB_KEY]))


@routes.get("/v1/groups/by-slug/{slug}")
@about_groups("A group from its join link", response=Group, auth=False)
async def group_by_slug(request: web.Request) -> web.Response:
    return dump(await groups.group_by_slug(request.app[DB_KEY], request.match_info["slug"]))


@routes.post("/v1/groups/{group_id}/members/me")
@about_groups(
    "Join a group (through its join link): 201 when joined, 200 when already a member",
    responses={200: Membership, 201: Membership},
)
async def join(request: web.Request) -> web.Response:
    caller = await person(request)
    group_id = path_uuid(request, "group_id")
    membership, created = await memberships.join_group(
        request.app[DB_KEY], caller.user_id, group_id
    )
    return dump(membership, 201 if created else 200)


@routes.delete("/v1/groups/{group_id}/members/me")
@about_groups("Leave a group", status=204)
async def leave(request: web.Request) -> web.Response:
    caller = await person(request)
    group_id = path_uuid(request, "group_id")
    await memberships.leave_group(request.app[DB_KEY], caller, group_id)
    return web.Response(status=204)


@routes.get("/v1/groups/{group_id}")
@about_groups("A group I belong to", response=Group)
async def get_group(request: web.Request) -> web.Response:
    return await for_caller(request, "group_id", groups.group_of)


@routes.get("/v1/groups/{group_id}/members")
@about_groups("The members of a group (its coordinators, association admins)", response=MemberList)
async def members(request: web.Request) -> web.Response:
    return await for_caller(request, "group_id", groups.members)


@routes.post("/v1/groups")
@about_groups("Create a group (association admin)", body=GroupCreate, response=Group, status=201)
async def create_group(request: web.Request) -> web.Response:
    require_admin(await principal(request))
    body = await parse_json(request, GroupCreate)
    return dump(await groups.create_group(request.app[DB_KEY], body), 201)


@routes.patch("/v1/groups/{group_id}")
@about_groups(
    "Change a group's name, city, coordinator shown, emails or required fields"
    " (association admin; never its join link)",
    body=GroupUpdate,
    response=Group,
)
async def update_group(request: web.Request) -> web.Response:
    require_admin(await principal(request))
    group_id = path_uuid(request, "group_id")
    body = await parse_json(request, GroupUpdate)
    return dump(await groups.update_group(request.app[DB_KEY], group_id, body))


@routes.put("/v1/groups/{group_id}/coordinators/{user_id}")
@about_groups("Name a member coordinator (association admin)", status=204)
async def name_coordinator(request: web.Request) -> web.Response:
    require_admin(await principal(request))
    await groups.name_coordinator(
        request.app[DB_KEY], path_uuid(request, "group_id"), path_uuid(request, "user_id")
    )
    return web.Response(status=204)
