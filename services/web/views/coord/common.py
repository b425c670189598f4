"""Helpers shared by the coordinator pages."""

from typing import Any

from aiohttp import web

from ...apiclient import Api, ApiError, ServiceDown
from ...groups import GroupContext, member_page
from ...sessions import User
from ..common import as_list, distribution_api


async def coordinator_page(request: web.Request) -> tuple[User, GroupContext]:
    user, g = await member_page(request, coordinator=True)
    return user, g


async def member_names(api: Api, user: User, g: GroupContext) -> dict[str, str]:
    """The group's members by id: their display name (else first name)."""
    answer = await api.call("accounts", "GET", f"/v1/groups/{g.id}/members", token=user.token)
    return {
        str(m["user_id"]): str(m.get("display_name") or m.get("first_name") or "")
        for m in as_list(answer, "members")
    }


async def distribution(
    api: Api, user: User, g: GroupContext, distribution_id: str
) -> dict[str, Any]:
    found: dict[str, Any] = await api.call(
        "ordering", "GET", distribution_api(g, distribution_id), token=user.token
    )
    return found


async def coordination(api: Api, user: User, g: GroupContext, did: str) -> dict[str, Any] | None:
    """Logistics' coordinator view of the distribution; None when it has none or is down."""
    try:
        found: dict[str, Any] = await api.call(
            "logistics", "GET", f"{distribution_api(g, did)}/coordination", token=user.token
        )
    except ApiError as error:
        if error.status == 404:
            return None
        raise
    except ServiceDown:
        return None
    return found


async def catalog_products(api: Api, user: User, group_id: str) -> list[dict[str, Any]]:
    """The group's catalog, by category then name."""
    answer = await api.call("ordering", "GET", f"/v1/groups/{group_id}/products", token=user.token)
    items = as_list(answer, "products")
    items.sort(key=lambda p: (str(p["category"]), str(p["name"])))
    return items
