"""accounts, ordering, logistics and notifications as real `all` processes on a per-test database,
seeded, with the people and the data a client of the APIs needs: the demo coordinator of
3 Cocus, the association admin, a new member with a validated order, a service token."""

import asyncio
import uuid
from dataclasses import dataclass

import aiohttp

from shared.demo import DEMO_ADMIN_EMAIL, DEMO_GROUPS, DEMO_PASSWORD
from tests.support.fault_stack import (
    SERVICE_SECRET,
    TIMEOUT,
    FaultStack,
    Member,
    log_in,
    sign_up,
    validate_order,
    wait_until,
)

API_SERVICES = ("accounts", "ordering", "logistics", "notifications")


@dataclass
class ApiData:
    """Ids that exist in the database, and the tokens that may use them."""

    urls: dict[str, str]
    group_id: uuid.UUID
    other_group_id: uuid.UUID  # a group the coordinator may join and leave
    group_slug: str
    coordinator: Member
    admin: Member
    member: Member
    service_token: str
    distribution_id: uuid.UUID
    product_id: uuid.UUID
    order_id: uuid.UUID
    slot_id: uuid.UUID


async def service_token(accounts: str, service: str = "notifications") -> str:
    async with (
        aiohttp.ClientSession(timeout=TIMEOUT) as session,
        session.post(
            f"{accounts}/v1/service-tokens", json={"service": service, "secret": SERVICE_SECRET}
        ) as resp,
    ):
        assert resp.status == 200, await resp.text()
        return str((await resp.json())["access_token"])


async def _first_slot(logistics: str, base: str, member: Member) -> uuid.UUID | None:
    async with (
        aiohttp.ClientSession(timeout=TIMEOUT, headers=member.headers) as session,
        session.get(f"{logistics}{base}/slots") as resp,
    ):
        if resp.status != 200:
            return None
        slots = (await resp.json())["slots"]
    return uuid.UUID(slots[0]["slot_id"]) if slots else None


async def start_api_stack(stack: FaultStack) -> ApiData:
    """Seed accounts and ordering, start the four services (`all`), create the data."""
    await stack.seed("accounts", "ordering")
    processes = [stack.process(name, "all") for name in API_SERVICES]
    await stack.start(*processes)
    urls = {p.name: p.base for p in processes}
    group = DEMO_GROUPS[0]
    coordinator, admin = await asyncio.gather(
        log_in(urls["accounts"], group.coordinator_email, DEMO_PASSWORD),
        log_in(urls["accounts"], DEMO_ADMIN_EMAIL, DEMO_PASSWORD),
    )
    member = await sign_up(urls["accounts"], group.id)
    order = await validate_order(urls["ordering"], group.id, member)
    async with (
        aiohttp.ClientSession(timeout=TIMEOUT, headers=coordinator.headers) as session,
        session.get(
            f"{urls['ordering']}/v1/groups/{group.id}/distributions/{order.distribution_id}/offer"
        ) as resp,
    ):
        assert resp.status == 200, await resp.text()
        offer = await resp.json()
    product_id = uuid.UUID(offer["categories"][0]["products"][0]["product_id"])
    base = f"/v1/groups/{group.id}/distributions/{order.distribution_id}"
    slot: list[uuid.UUID] = []

    async def slots_made() -> bool:
        found = await _first_slot(urls["logistics"], base, member)
        if found is not None:
            slot.append(found)
        return found is not None

    # Logistics cuts the slots when ordering's distribution events reach it.
    await wait_until(slots_made, 60, "logistics has the seeded distribution's slots", every=0.3)
    return ApiData(
        urls=urls,
        group_id=group.id,
        other_group_id=DEMO_GROUPS[1].id,
        group_slug=group.slug,
        coordinator=coordinator,
        admin=admin,
        member=member,
        service_token=await service_token(urls["accounts"]),
        distribution_id=order.distribution_id,
        product_id=product_id,
        order_id=order.order_id,
        slot_id=slot[0],
    )
