"""Helpers shared by the member's pages of a distribution."""

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

from ...apiclient import Api, ApiError, ServiceDown
from ...groups import GroupContext
from ...sessions import User
from ..common import distribution_api

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
    api: Api, user: User, g: GroupContext, distribution_id: str
) -> dict[str, Any] | None:
    """The member's order for the distribution (None when there is none)."""
    order: dict[str, Any] | None = await optional(
        api.call(
            "ordering", "GET", f"{distribution_api(g, distribution_id)}/order", token=user.token
        )
    )
    return order


async def logistics_state(
    api: Api, user: User, g: GroupContext, distribution_id: str
) -> tuple[dict[str, Any] | None, dict[str, Any] | None, bool]:
    """(slots view, pickup view, logistics reachable)."""
    base = distribution_api(g, distribution_id)
    try:
        slots, pickup = await asyncio.gather(
            optional(api.call("logistics", "GET", f"{base}/slots", token=user.token)),
            optional(api.call("logistics", "GET", f"{base}/pickup", token=user.token)),
        )
    except ServiceDown:
        return None, None, False
    return slots, pickup, True
