"""The group a page belongs to: membership, role and the missing-contact banner."""

import contextlib
import re
from dataclasses import dataclass, field

from aiohttp import web

from shared.clients.accounts import Group, Me
from shared.problems import Problem

from .apiclient import ApiError, ServiceDown
from .clients import accounts
from .member_cache import MEMBER_CACHE
from .rendering import GROUP_CONTEXT
from .sessions import User, ask_afresh, exchange_token, require_user


@dataclass
class GroupContext:
    group: Group
    me: Me
    role: str
    missing: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return str(self.group.id)

    @property
    def slug(self) -> str:
        return self.group.slug

    @property
    def is_coordinator(self) -> bool:
        return self.role == "coordinator" or self.me.admin


async def get_me(request: web.Request, user: User) -> Me:
    """`/me`: kept beside the session's token when the token is, else asked and kept."""
    cache = request.app[MEMBER_CACHE]
    if user.kept:
        kept = cache.recall(user.session_id)
        if kept is not None and kept.token == user.token and kept.me is not None:
            return kept.me
    me = await accounts(request, user).me()
    cache.remember_me(user.session_id, user.token, me, user.seen_changes)
    return me


async def keep_new_session(request: web.Request, session_id: str) -> None:
    """At log-in: the new session's token and `/me`, asked now and kept, so that the page the
    member lands on asks accounts nothing (if accounts refuses or is down, that page asks)."""
    with contextlib.suppress(ApiError, ServiceDown, Problem):  # Problem: no key to verify with
        await get_me(request, await exchange_token(request, session_id))


async def logged_in_me(request: web.Request) -> Me:
    """The account of the logged-in member (anybody else: to the log-in)."""
    return await get_me(request, await require_user(request))


async def public_group(request: web.Request, slug: str) -> Group:
    """The group of a join link (`/g/<slug>`); a 404 page for an unknown or malformed one."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,79}", slug):
        raise web.HTTPNotFound()
    try:
        return await accounts(request).group_by_slug(slug)
    except ApiError as error:
        if error.status == 404:
            raise web.HTTPNotFound() from None
        raise


async def member_page(request: web.Request, coordinator: bool = False) -> tuple[User, GroupContext]:
    """For pages under /g/<slug>/...: the logged-in member of that group, else a redirect.

    A coordinator's tools decide on the roles as they are now (one named coordinator elsewhere
    sees the tools at once): asked afresh. A member's page uses the kept `/me`, asked afresh
    before refusing (a group joined from another browser opens at once)."""
    if coordinator:
        await ask_afresh(request)
    user = await require_user(request)
    context = _group_context(request, await get_me(request, user))
    if context is None and await ask_afresh(request):
        user = await require_user(request)
        context = _group_context(request, await get_me(request, user))
    if context is None:
        raise web.HTTPSeeOther(f"/g/{request.match_info['slug']}")
    if coordinator and not context.is_coordinator:
        raise web.HTTPForbidden()
    request[GROUP_CONTEXT] = context
    return user, context


def _group_context(request: web.Request, me: Me) -> GroupContext | None:
    slug = request.match_info["slug"]
    for membership in me.memberships:
        if membership.group.slug == slug:
            return GroupContext(membership.group, me, membership.role, list(membership.missing))
    return None
