"""HTTP routes of the accounts service."""

import hmac
import re
from typing import Any

from aiohttp import web

from services.accounts import export as personal_export
from services.accounts import handlers
from services.accounts import repository as repo
from services.accounts.client_address import client_address
from services.accounts.keys import ISSUER_KEY, SETTINGS_KEY
from services.accounts.models import (
    SLUG_PATTERN,
    Accepted,
    AccessToken,
    Contact,
    Erase,
    Group,
    GroupCreate,
    GroupList,
    GroupUpdate,
    InternalMemberList,
    LogIn,
    Me,
    MemberList,
    Membership,
    PersonalData,
    ProfileUpdate,
    ResetConfirm,
    ResetDelivery,
    ResetRequest,
    ServiceTokenRequest,
    SessionCreated,
    SignUp,
)
from shared.auth import (
    ACCESS_TOKEN_SECONDS,
    SERVICE_TOKEN_SECONDS,
    Principal,
    principal,
    service_principal,
)
from shared.bodies import parse_json, path_uuid
from shared.http import json_ok
from shared.openapi import operation
from shared.problems import Problem, not_found
from shared.runtime import DB_KEY

routes = web.RouteTableDef()
SLUG = re.compile(SLUG_PATTERN)


def dump(model: Any, status: int = 200) -> web.Response:
    return json_ok(model.model_dump(mode="json"), status=status)


async def person(request: web.Request) -> Principal:
    """A member's token; a service token names no person (its subject is not a user id)."""
    caller = await principal(request)
    if caller.service is not None:
        raise Problem(403, "members-only", "Réservé aux membres.", "Only members may do this.")
    return caller


def session_id(request: web.Request) -> str:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "session" or not value.strip():
        raise Problem(
            401,
            "session-required",
            "Connectez-vous pour continuer.",
            "Please log in to continue.",
            headers={"WWW-Authenticate": "Session"},
        )
    return value.strip()


@routes.get("/.well-known/jwks.json")
async def jwks(request: web.Request) -> web.Response:
    return web.json_response(request.app[ISSUER_KEY].jwks())


@routes.get("/v1/groups")
@operation("List the groups of the deployment", response=GroupList, tags=["groups"], auth=False)
async def list_groups(request: web.Request) -> web.Response:
    async with request.app[DB_KEY].connection() as conn:
        return dump(GroupList(groups=await repo.all_groups(conn)))


@routes.get("/v1/groups/by-slug/{slug}")
@operation("A group from its join link", response=Group, tags=["groups"], auth=False)
async def group_by_slug(request: web.Request) -> web.Response:
    slug = request.match_info["slug"]
    # Not a slug (NUL, bad UTF-8, too long): not a group, and nothing Postgres would refuse.
    group = None
    if SLUG.match(slug):
        async with request.app[DB_KEY].connection() as conn:
            group = await repo.group_by_slug(conn, slug)
    if group is None:
        raise not_found("Groupe", "Group")
    return dump(group)


@routes.post("/v1/signup")
@operation(
    "Sign up (same answer for a new or a known email)",
    body=SignUp,
    response=Accepted,
    status=202,
    tags=["people"],
    auth=False,
)
async def sign_up(request: web.Request) -> web.Response:
    body = await parse_json(request, SignUp)
    await handlers.sign_up(request.app[DB_KEY], body)
    return dump(Accepted(), 202)


@routes.post("/v1/sessions")
@operation("Log in", body=LogIn, response=SessionCreated, status=201, tags=["sessions"], auth=False)
async def log_in(request: web.Request) -> web.Response:
    body = await parse_json(request, LogIn)
    sid, user_id = await handlers.log_in(
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
    async with request.app[DB_KEY].transaction() as conn:
        user = await handlers.user_of_session(conn, sid)
        roles = await repo.roles_of(conn, user["id"])
    token = request.app[ISSUER_KEY].issue(
        user["id"],
        roles,
        admin=user["is_admin"],
        first_name=user["first_name"],
        language=user["language"],
    )
    return dump(
        AccessToken(access_token=token, expires_in=ACCESS_TOKEN_SECONDS, user_id=user["id"])
    )


@routes.delete("/v1/sessions/current")
@operation("Log out: the session ends on the server", status=204, tags=["sessions"], auth=False)
async def log_out(request: web.Request) -> web.Response:
    await handlers.end_session(request.app[DB_KEY], session_id(request))
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
    await handlers.request_reset(request.app[DB_KEY], request.app[SETTINGS_KEY], body.email)
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
    await handlers.confirm_reset(request.app[DB_KEY], request.app[SETTINGS_KEY], body)
    return web.Response(status=204)


@routes.get("/v1/me")
@operation("My account and my groups", response=Me, tags=["people"])
async def get_me(request: web.Request) -> web.Response:
    caller = await person(request)
    async with request.app[DB_KEY].connection() as conn:
        user = await handlers.load_user(conn, caller.user_id)
        return dump(await handlers.me(conn, user))


@routes.patch("/v1/me")
@operation(
    "Change my account details or language", body=ProfileUpdate, response=Me, tags=["people"]
)
async def patch_me(request: web.Request) -> web.Response:
    caller = await person(request)
    body = await parse_json(request, ProfileUpdate)
    return dump(await handlers.update_profile(request.app[DB_KEY], caller.user_id, body))


@routes.get("/v1/me/export")
@operation("Everything accounts holds about me", response=PersonalData, tags=["personal data"])
async def export(request: web.Request) -> web.Response:
    caller = await person(request)
    return json_ok(
        await handlers.export_personal_data(
            request.app[DB_KEY], request.app[SETTINGS_KEY], caller.user_id
        )
    )


@routes.post("/v1/me/erase")
@operation("Erase my account everywhere", body=Erase, status=204, tags=["personal data"])
async def erase(request: web.Request) -> web.Response:
    caller = await person(request)
    body = await parse_json(request, Erase)
    await handlers.erase(
        request.app[DB_KEY], request.app[SETTINGS_KEY], caller.user_id, body.password
    )
    return web.Response(status=204)


@routes.post("/v1/groups/{group_id}/members/me")
@operation(
    "Join a group (through its join link): 201 when joined, 200 when already a member",
    responses={200: Membership, 201: Membership},
    tags=["groups"],
)
async def join(request: web.Request) -> web.Response:
    caller = await person(request)
    group_id = path_uuid(request, "group_id")
    membership, created = await handlers.join_group(request.app[DB_KEY], caller.user_id, group_id)
    return dump(membership, 201 if created else 200)


@routes.delete("/v1/groups/{group_id}/members/me")
@operation("Leave a group", status=204, tags=["groups"])
async def leave(request: web.Request) -> web.Response:
    caller = await person(request)
    group_id = path_uuid(request, "group_id")
    async with request.app[DB_KEY].connection() as conn:
        await handlers.require_role(conn, caller, group_id)
    await handlers.leave_group(request.app[DB_KEY], caller.user_id, group_id)
    return web.Response(status=204)


@routes.get("/v1/groups/{group_id}")
@operation("A group I belong to", response=Group, tags=["groups"])
async def get_group(request: web.Request) -> web.Response:
    caller = await principal(request)
    group_id = path_uuid(request, "group_id")
    async with request.app[DB_KEY].connection() as conn:
        await handlers.require_role(conn, caller, group_id)
        return dump(await handlers.require_group(conn, group_id))


@routes.get("/v1/groups/{group_id}/members")
@operation(
    "The members of a group (its coordinators, association admins)",
    response=MemberList,
    tags=["groups"],
)
async def members(request: web.Request) -> web.Response:
    caller = await principal(request)
    group_id = path_uuid(request, "group_id")
    async with request.app[DB_KEY].connection() as conn:
        await handlers.require_role(conn, caller, group_id, coordinator=True)
        group = await handlers.require_group(conn, group_id)
        return dump(MemberList(members=await repo.members_of_group(conn, group)))


def require_admin(caller: Any) -> None:
    if not caller.admin:
        raise Problem(
            403,
            "admin-only",
            "Réservé aux administrateurs de l'association.",
            "Only the association's administrators may do this.",
        )


@routes.post("/v1/groups")
@operation(
    "Create a group (association admin)",
    body=GroupCreate,
    response=Group,
    status=201,
    tags=["groups"],
)
async def create_group(request: web.Request) -> web.Response:
    require_admin(await principal(request))
    body = await parse_json(request, GroupCreate)
    return dump(await handlers.create_group(request.app[DB_KEY], body), 201)


@routes.patch("/v1/groups/{group_id}")
@operation(
    "Change a group's name, city, coordinator shown, emails or required fields"
    " (association admin; never its join link)",
    body=GroupUpdate,
    response=Group,
    tags=["groups"],
)
async def update_group(request: web.Request) -> web.Response:
    require_admin(await principal(request))
    group_id = path_uuid(request, "group_id")
    body = await parse_json(request, GroupUpdate)
    return dump(await handlers.update_group(request.app[DB_KEY], group_id, body))


@routes.put("/v1/groups/{group_id}/coordinators/{user_id}")
@operation("Name a member coordinator (association admin)", status=204, tags=["groups"])
async def name_coordinator(request: web.Request) -> web.Response:
    require_admin(await principal(request))
    await handlers.name_coordinator(
        request.app[DB_KEY], path_uuid(request, "group_id"), path_uuid(request, "user_id")
    )
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
    settings = request.app[SETTINGS_KEY]
    if not hmac.compare_digest(body.secret.encode(), settings.service_secret.encode()):
        raise Problem(
            401, "invalid-service-secret", "Secret de service invalide.", "Invalid service secret."
        )
    if settings.uses_default_service_secret and not settings.dev_mode:
        # The default is in the documentation: anybody could read everyone's contact details.
        raise Problem(
            403,
            "default-service-secret",
            "Le secret de service par défaut n'est accepté qu'en mode développement.",
            "The default service secret is only accepted in dev mode: set ACCOUNTS_SERVICE_SECRET.",
        )
    token = request.app[ISSUER_KEY].issue_service(body.service)
    return dump(AccessToken(access_token=token, expires_in=SERVICE_TOKEN_SECONDS))


@routes.get("/internal/users/{user_id}/contact")
@operation(
    "A person's contact details, at the moment a service needs them",
    response=Contact,
    tags=["internal"],
)
async def internal_contact(request: web.Request) -> web.Response:
    await service_principal(request)
    async with request.app[DB_KEY].connection() as conn:
        return dump(await handlers.contact(conn, path_uuid(request, "user_id")))


@routes.get("/internal/groups/{group_id}")
@operation("A group, for services", response=Group, tags=["internal"])
async def internal_group(request: web.Request) -> web.Response:
    await service_principal(request)
    async with request.app[DB_KEY].connection() as conn:
        return dump(await handlers.require_group(conn, path_uuid(request, "group_id")))


@routes.get("/internal/groups/{group_id}/members")
@operation(
    "Member ids, roles and languages of a group, for services",
    response=InternalMemberList,
    tags=["internal"],
)
async def internal_members(request: web.Request) -> web.Response:
    await service_principal(request)
    group_id = path_uuid(request, "group_id")
    async with request.app[DB_KEY].connection() as conn:
        await handlers.require_group(conn, group_id)
        rows = await conn.fetch(
            "SELECT u.id AS user_id, m.role, u.language, u.first_name FROM memberships m"
            " JOIN users u ON u.id = m.user_id WHERE m.group_id = $1",
            group_id,
        )
    return json_ok({"members": [dict(r) for r in rows]})


@routes.get("/internal/password-resets/{reset_id}")
@operation(
    "The reset link's token, handed out once to the notifications service",
    response=ResetDelivery,
    tags=["internal"],
)
async def internal_reset(request: web.Request) -> web.Response:
    await service_principal(request)
    row = await handlers.hand_out_reset_token(request.app[DB_KEY], path_uuid(request, "reset_id"))
    return dump(ResetDelivery(**dict(row)))


@routes.get("/internal/users/{user_id}/export")
@operation(
    "Everything accounts holds about a person, for their download (the web)",
    response=personal_export.AccountsExport,
    tags=["internal", "personal data"],
)
async def internal_export(request: web.Request) -> web.Response:
    await service_principal(request)
    found = await personal_export.export_user(
        request.app[DB_KEY], request.app[SETTINGS_KEY], path_uuid(request, "user_id")
    )
    return dump(found)
