"""Public pages: home, « Changer de groupe », the join link."""

from aiohttp import web

from ..apiclient import API_KEY
from ..groups import get_me, public_group
from ..rendering import render
from ..sessions import load_user, require_user

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
    answer = await request.app[API_KEY].call("accounts", "GET", "/v1/groups")
    return render(request, "home.html", {"groups": answer.get("groups", [])})


@routes.get("/groupes")
async def my_groups(request: web.Request) -> web.StreamResponse:
    """« Changer de groupe »: the member's groups, and the others they may join."""
    user = await require_user(request)
    me = await get_me(request, user)
    answer = await request.app[API_KEY].call("accounts", "GET", "/v1/groups")
    mine = {m["group"]["id"] for m in me.get("memberships") or []}
    others = [g for g in answer.get("groups", []) if g["id"] not in mine]
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
    await request.app[API_KEY].call(
        "accounts", "POST", f"/v1/groups/{group['id']}/members/me", token=user.token
    )
    raise web.HTTPSeeOther(f"/g/{group['slug']}/commandes")
