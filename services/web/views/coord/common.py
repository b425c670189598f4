"""Helpers shared by the coordinator pages."""

import asyncio

from aiohttp import web

from shared.clients.logistics import CoordinationView
from shared.clients.ordering import Distribution, Product

from ...apiclient import ApiError, ServiceDown
from ...clients import accounts, logistics, ordering
from ...groups import GroupContext, member_page
from ...sessions import User


async def coordinator_page(request: web.Request) -> tuple[User, GroupContext]:
    user, g = await member_page(request, coordinator=True)
    return user, g


async def member_names(request: web.Request, user: User, g: GroupContext) -> dict[str, str]:
    """The group's members by id: their display name (else first name)."""
    members = await accounts(request, user).members(g.id)
    return {str(m.user_id): m.display_name or m.first_name for m in members}


async def distribution(
    request: web.Request, user: User, g: GroupContext, distribution_id: str
) -> Distribution:
    return await ordering(request, user).distribution(g.id, distribution_id)


async def distribution_overview(
    request: web.Request, user: User, g: GroupContext, did: str
) -> tuple[Distribution, dict[str, str], CoordinationView | None]:
    """The distribution, the members' names and logistics' view of it (who comes when)."""
    return await asyncio.gather(
        distribution(request, user, g, did),
        member_names(request, user, g),
        coordination(request, user, g, did),
    )


async def coordination(
    request: web.Request, user: User, g: GroupContext, did: str
) -> CoordinationView | None:
    """Logistics' coordinator view of the distribution; None when it has none or is down."""
    try:
        return await logistics(request, user).coordination(g.id, did)
    except ApiError as error:
        if error.status == 404:
            return None
        raise
    except ServiceDown:
        return None


async def catalog_products(request: web.Request, user: User, group_id: str) -> list[Product]:
    """The group's catalog, by category then name."""
    items = await ordering(request, user).products(group_id)
    return sorted(items, key=lambda p: (p.category, p.name))
