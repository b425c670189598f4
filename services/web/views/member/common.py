"""Helpers shared by the member's pages of a distribution."""

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from aiohttp import web

from shared.clients.logistics import PickupView, SlotsView
from shared.clients.ordering import Order

from ...apiclient import ApiError, ServiceDown
from ...clients import logistics, ordering
from ...groups import GroupContext
from ...sessions import User

T = TypeVar("T")


def distribution_page(g: GroupContext, distribution_id: str, suffix: str = "") -> str:
    """The member's page of a distribution (and below it, with `suffix`)."""
    return f"/g/{g.slug}/d/{distribution_id}{suffix}"


async def optional(call: Awaitable[T]) -> T | None:
    """The answer of an API call, or None when it answers 404."""
    try:
        return await call
    except ApiError as error:
        if error.status == 404:
            return None
        raise


async def order_or_none(
    request: web.Request, user: User, g: GroupContext, distribution_id: str
) -> Order | None:
    """The member's order for the distribution (None when there is none)."""
    return await optional(ordering(request, user).my_order(g.id, distribution_id))


async def logistics_state(
    request: web.Request, user: User, g: GroupContext, distribution_id: str
) -> tuple[SlotsView | None, PickupView | None, bool]:
    """(slots view, pickup view, logistics reachable)."""
    client = logistics(request, user)
    try:
        slots, pickup = await asyncio.gather(
            optional(client.slots(g.id, distribution_id)),
            optional(client.pickup(g.id, distribution_id)),
        )
    except ServiceDown:
        return None, None, False
    return slots, pickup, True
