"""Public pages: home, « Changer de groupe », the join link."""

from aiohttp import web

from ..clients import accounts
from ..groups import get_me, logged_in_me, public_group
from ..rendering import render
from ..sessions import ask_afresh, forget_user, load_user, require_user
from .common import page_data, page_list

routes = web.RouteTableDef()


@routes.get("/")
async def home(request: web.Request) -> web.StreamResponse:
    user = await load_user(request)
    if user is not None:
        me = await get_me(request, user)
        if len(me.memberships) == 1:
            raise web.HTTPSeeOther(f"/g/{me.memberships[0].group.slug}/commandes")
        raise web.HTTPSeeOther("/groupes")
    groups = await accounts(request).groups()
    return render(request, "home.html", {"groups": page_list(groups)})


@routes.get("/groupes")
async def my_groups(request: web.Request) -> web.StreamResponse:
    """« Changer de groupe »: the member's groups, and the others they may join."""
    me = await logged_in_me(request)
    mine = {m.group.id for m in me.memberships}
    others = page_list(g for g in await accounts(request).groups() if g.id not in mine)
    return render(request, "groups.html", {"me": page_data(me), "others": others})


@routes.get("/g/{slug}")
async def join_page(request: web.Request) -> web.StreamResponse:
    group = await public_group(request, request.match_info["slug"])
    user = await load_user(request)
    member = False
    if user is not None:
        member = user.role_in(group.id) is not None
        if not member and await ask_afresh(request):  # joined from another browser?
            user = await load_user(request)
            member = user is not None and user.role_in(group.id) is not None
    return render(request, "join.html", {"group": page_data(group), "member": member})


@routes.post("/g/{slug}/rejoindre")
async def join(request: web.Request) -> web.StreamResponse:
    group = await public_group(request, request.match_info["slug"])
    user = await require_user(request)
    await accounts(request, user).join_group(group.id)
    forget_user(request, user.user_id)
    raise web.HTTPSeeOther(f"/g/{group.slug}/commandes")
