"""The group a page belongs to: membership, role and the missing-contact banner."""

import re
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .apiclient import API_KEY, ApiError
from .rendering import GROUP_CONTEXT
from .sessions import User, require_user


@dataclass
class GroupContext:
    group: dict[str, Any]
    me: dict[str, Any]
    role: str
    missing: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return str(self.group["id"])

    @property
    def slug(self) -> str:
        return str(self.group["slug"])

    @property
    def is_coordinator(self) -> bool:
        return self.role == "coordinator" or bool(self.me.get("admin"))

    @property
    def other_groups(self) -> list[dict[str, Any]]:
        return [m["group"] for m in self.me.get("memberships") or [] if m["group"]["id"] != self.id]


async def get_me(request: web.Request, user: User) -> dict[str, Any]:
    me: dict[str, Any] = await request.app[API_KEY].call(
        "accounts", "GET", "/v1/me", token=user.token
    )
    return me


async def public_group(request: web.Request, slug: str) -> dict[str, Any]:
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,79}", slug):
        raise web.HTTPNotFound()
    try:
        group: dict[str, Any] = await request.app[API_KEY].call(
            "accounts", "GET", f"/v1/groups/by-slug/{slug}"
        )
    except ApiError as error:
        if error.status == 404:
            raise web.HTTPNotFound() from None
        raise
    return group


async def member_page(request: web.Request, coordinator: bool = False) -> tuple[User, GroupContext]:
    """For pages under /g/<slug>/...: the logged-in member of that group, else a redirect."""
    user = await require_user(request)
    slug = request.match_info["slug"]
    me = await get_me(request, user)
    for membership in me.get("memberships") or []:
        if membership["group"]["slug"] == slug:
            context = GroupContext(
                membership["group"],
                me,
                str(membership.get("role") or "member"),
                list(membership.get("missing") or []),
            )
            if coordinator and not context.is_coordinator:
                raise web.HTTPForbidden()
            request[GROUP_CONTEXT] = context
            return user, context
    raise web.HTTPSeeOther(f"/g/{slug}")
