"""Public pages: home, « Changer de groupe », the join link."""

from aiohttp import web

from ..clients import accounts
from ..groups import get_me, public_group
from ..rendering import render
from ..sessions import load_user, require_user
from .common import page_list

routes = web.RouteTableDef()


@routes.get("/")
async def home(request: web.Request) -> web.StreamResponse:
    user = await load_user(request)
    if user is not None:
        me = await get_me(request, user)
        memberships = me.get("memberships") or []
        if len(memberships) == 1:
            raise web.HTTPSeeOther(f"/g/{memberships[0]['group']['slug']}/commandes")
        raise web.HTTPSeeOther("/groupes")
    groups = await accounts(request).groups()
    return render(request, "home.html", {"groups": page_list(groups)})


@routes.get("/groupes")
async def my_groups(request: web.Request) -> web.StreamResponse:
    """« Changer de groupe »: the member's groups, and the others they may join."""
    user = await require_user(request)
    me = await get_me(request, user)
    mine = {m["group"]["id"] for m in me.get("memberships") or []}
    others = [g for g in page_list(await accounts(request).groups()) if g["id"] not in mine]
    return render(request, "groups.html", {"me": me, "others": others})


@routes.get("/g/{slug}")
async def join_page(request: web.Request) -> web.StreamResponse:
    group = await public_group(request, request.match_info["slug"])
    user = await load_user(request)
    member = False
    if user is not None:
        member = user.role_in(group["id"]) is not None
    return render(request, "join.html", {"group": group, "member": member})


@routes.post("/g/{slug}/rejoindre")
async def join(request: web.Request) -> web.StreamResponse:
    group = await public_group(request, request.match_info["slug"])
    user = await require_user(request)
    await accounts(request, user).join_group(group["id"])
    raise web.HTTPSeeOther(f"/g/{group['slug']}/commandes")
