"""What every ordering route module shares: path prefixes, the caller checks, CSV answers."""

import uuid

from aiohttp import web

from services.ordering.domain import MemberDistribution
from shared.auth import Principal, principal
from shared.bodies import path_uuid
from shared.db import Database
from shared.problems import Problem
from shared.runtime import DB_KEY

G = "/v1/groups/{group_id}"
D = G + "/distributions/{distribution_id}"
UUID_RE = "[0-9a-fA-F-]{36}"
MEMBER = ["member"]
COORDINATOR = ["coordinator"]


async def member(request: web.Request) -> tuple[Principal, uuid.UUID]:
    caller = await principal(request)
    group_id = path_uuid(request, "group_id")
    caller.require_member(group_id)
    return caller, group_id


async def coordinator(request: web.Request) -> tuple[Principal, uuid.UUID]:
    caller = await principal(request)
    group_id = path_uuid(request, "group_id")
    caller.require_coordinator(group_id)
    return caller, group_id


async def member_distribution(request: web.Request) -> tuple[Principal, uuid.UUID, uuid.UUID]:
    """A member of the path's group, the group and the path's distribution."""
    caller, group_id = await member(request)
    return caller, group_id, path_uuid(request, "distribution_id")


async def me(request: web.Request) -> tuple[uuid.UUID, uuid.UUID]:
    """The path's group and the member (a person, not a service) calling."""
    caller, group_id = await member(request)
    return group_id, person(caller)


async def my_distribution(request: web.Request) -> MemberDistribution:
    """The group, the path's distribution and the member (a person) calling."""
    group_id, user_id = await me(request)
    return MemberDistribution(group_id, path_uuid(request, "distribution_id"), user_id)


def person(caller: Principal) -> uuid.UUID:
    """The member calling (a service cannot have a cart, an order or record a payment)."""
    if caller.service is not None:
        raise Problem(403, "person-only", "Réservé aux membres.", "Members only.")
    try:
        return caller.user_id
    except ValueError:
        raise Problem(403, "person-only", "Réservé aux membres.", "Members only.") from None


def person_or_none(caller: Principal) -> uuid.UUID | None:
    """The person calling; None for a service."""
    return None if caller.service else caller.user_id


def db(request: web.Request) -> Database:
    return request.app[DB_KEY]


def csv_answer(text: str, filename: str) -> web.Response:
    return web.Response(
        body=text.encode("utf-8"),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
