"""What every route module of the accounts API shares: the answer's serialisation and who may
call."""

import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiohttp import web
from pydantic import BaseModel

from services.accounts.models import Accepted
from shared.auth import Principal, principal, service_principal
from shared.bodies import path_uuid
from shared.db import Database
from shared.http import model_ok
from shared.openapi import operation
from shared.problems import Problem
from shared.runtime import DB_KEY

F = TypeVar("F", bound=Callable[..., Awaitable[web.StreamResponse]])


def dump(model: BaseModel, status: int = 200) -> web.Response:
    return model_ok(model, status)


def accepted_alike(summary: str, body: type[BaseModel], tag: str) -> Callable[[F], F]:
    """A request anybody may make, answered `202 Accepted` whatever happened (a known email or
    not): the answer tells nothing about the accounts."""
    return operation(summary, body=body, response=Accepted, status=202, tags=[tag], auth=False)


def accepted() -> web.Response:
    return dump(Accepted(), 202)


async def for_services(
    request: web.Request,
    path_id: str,
    look_up: Callable[[Database, uuid.UUID], Awaitable[BaseModel]],
) -> web.Response:
    """A service's look-up by one id of the path: a service token, the use case, its answer."""
    await service_principal(request)
    return dump(await look_up(request.app[DB_KEY], path_uuid(request, path_id)))


async def for_caller(
    request: web.Request,
    path_id: str,
    look_up: Callable[[Database, Principal, uuid.UUID], Awaitable[BaseModel]],
) -> web.Response:
    """A caller's look-up by one id of the path: their token, the use case (which decides what
    they may see), its answer."""
    caller = await principal(request)
    return dump(await look_up(request.app[DB_KEY], caller, path_uuid(request, path_id)))


async def person(request: web.Request) -> Principal:
    """A member's token; a service token names no person (its subject is not a user id)."""
    caller = await principal(request)
    if caller.service is not None:
        raise Problem(403, "members-only", "Réservé aux membres.", "Only members may do this.")
    return caller


def require_admin(caller: Principal) -> None:
    if not caller.admin:
        raise Problem(
            403,
            "admin-only",
            "Réservé aux administrateurs de l'association.",
            "Only the association's administrators may do this.",
        )


def session_id(request: web.Request) -> str:
    """The session id of `Authorization: Session <id>`."""
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
