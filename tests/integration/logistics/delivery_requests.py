"""A member asking to be delivered and members offering to deliver, through the logistics API:
the steps the pairing tests take before they look at claims, departures and withdrawals."""

import uuid
from dataclasses import dataclass

from tests.integration.logistics.conftest import Client, People

CONSENT = {"fields": ["address", "phone"], "text_version": "2026-01"}


async def need_delivery(client: Client, base: str, headers: dict[str, str]) -> str:
    """Choose `need_delivery` with consent; the id of the open request it makes."""
    resp = await client.put(
        base + "/pickup", json={"choice": "need_delivery", "consent": CONSENT}, headers=headers
    )
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert body["choice"] == "need_delivery"
    assert body["consent"]["fields"] == ["address", "phone"]
    assert body["consent"]["consented_at"]
    assert body["request"]["status"] == "open"
    return str(body["request"]["request_id"])


async def volunteer(client: Client, base: str, headers: dict[str, str]) -> None:
    resp = await client.put(base + "/pickup", json={"choice": "can_deliver"}, headers=headers)
    assert resp.status == 200, await resp.text()


@dataclass(frozen=True)
class OpenRequest:
    """An open delivery request, who asked for it, and a volunteer who has not claimed it yet."""

    request_id: str
    requester_id: uuid.UUID
    requester_headers: dict[str, str]
    volunteer_id: uuid.UUID
    volunteer_headers: dict[str, str]


async def request_and_volunteer(
    client: Client, people: People, group_id: uuid.UUID, base: str
) -> OpenRequest:
    """Sarah asks to be delivered, then Paul offers to deliver (both members of the group)."""
    requester_id, requester_headers = people.member(group_id, first_name="Sarah")
    request_id = await need_delivery(client, base, requester_headers)
    volunteer_id, volunteer_headers = people.member(group_id, first_name="Paul")
    await volunteer(client, base, volunteer_headers)
    return OpenRequest(request_id, requester_id, requester_headers, volunteer_id, volunteer_headers)
