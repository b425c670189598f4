"""Pickup choice, consent, delivery requests and volunteers, through HTTP and the broker."""

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from services.logistics.settings import LogisticsSettings
from shared.contracts.accounts import MemberJoinedV1, MemberLeftV1, UserErasedV1
from shared.db import Database
from tests.integration.logistics.conftest import (
    Client,
    People,
    distribution_base,
    publish,
    slot_ids,
)
from tests.integration.logistics.delivery_requests import (
    CONSENT,
    need_delivery,
    request_and_volunteer,
    volunteer,
)
from tests.integration.logistics.test_slot_generation import wait_until
from tests.support.factories import order_line, order_validated


async def test_twenty_volunteers_claim_one_request_one_wins(
    client: Client, db: Database, people: People, event_sink: Any
) -> None:
    group_id, _, base = await distribution_base(db)
    requester, req_headers = people.member(group_id, first_name="Sarah")
    request_id = await need_delivery(client, base, req_headers)
    volunteers = [people.member(group_id) for _ in range(20)]
    for _, h in volunteers:
        await volunteer(client, base, h)
    url = f"{base}/delivery-requests/{request_id}/claim"

    async def claim(h: dict[str, str]) -> tuple[int, str | None]:
        resp = await client.post(url, headers=h)
        body = await resp.json(content_type=None)
        return resp.status, None if resp.status == 200 else body["code"]

    results = await asyncio.gather(*(claim(h) for _, h in volunteers))
    assert Counter(results) == {(200, None): 1, (409, "already-taken"): 19}
    assigned = await event_sink.wait_for(1, type_="logistics.delivery.assigned.v1")
    await asyncio.sleep(1.0)  # room for a second one to show up
    assigned = [e for e in event_sink.events if e["type"] == "logistics.delivery.assigned.v1"]
    assert len(assigned) == 1
    data = assigned[0]["data"]
    assert data["request_id"] == request_id
    assert data["requester_id"] == str(requester)
    assert data["consented_fields"] == ["address", "phone"]
    winner = data["volunteer_id"]
    async with db.connection() as conn:
        assert (
            str(
                await conn.fetchval(
                    "SELECT volunteer_id FROM delivery_requests WHERE id = $1",
                    uuid.UUID(request_id),
                )
            )
            == winner
        )
    loser_body = await (
        await client.post(
            url, headers=volunteers[0][1] if str(volunteers[0][0]) != winner else volunteers[1][1]
        )
    ).json()
    assert loser_body["detail"] == "Cette demande est déjà prise."


async def test_volunteer_list_shows_first_name_postcode_order_size_only(
    client: Client, db: Database, people: People, settings: LogisticsSettings
) -> None:
    group_id, distribution_id, base = await distribution_base(db)
    requester, req_headers = people.member(group_id, first_name="Token")
    await publish(
        settings.amqp_url,
        settings.events_exchange,
        "accounts.member.joined.v1",
        MemberJoinedV1(
            user_id=requester,
            group_id=group_id,
            group_slug="3-cocus",
            role="member",
            first_name="Sarah",
            postcode="31500",
            language="fr",
        ),
    )
    line = order_line()
    await publish(
        settings.amqp_url,
        settings.events_exchange,
        "ordering.order.validated.v1",
        order_validated(
            distribution_id,
            group_id,
            requester,
            [line, line],
            968,
            datetime(2026, 5, 1, 10, tzinfo=UTC),
        ),
    )
    assert await wait_until(db, "SELECT count(*) FROM inbox", expected=2) == 2
    request_id = await need_delivery(client, base, req_headers)
    vol, vol_headers = people.member(group_id)
    # Not a volunteer yet: no list.
    resp = await client.get(base + "/delivery-requests", headers=vol_headers)
    assert resp.status == 403 and (await resp.json())["code"] == "not-volunteer"
    await volunteer(client, base, vol_headers)
    resp = await client.get(base + "/delivery-requests", headers=vol_headers)
    assert resp.status == 200
    listing = await resp.json()
    assert listing["mine"] == []
    [item] = listing["open"]
    assert item["request_id"] == request_id
    assert item["first_name"] == "Sarah" and item["postcode"] == "31500"
    assert item["order_items"] == 2 and item["order_total_cents"] == 968
    assert set(item) == {
        "request_id",
        "first_name",
        "postcode",
        "order_items",
        "order_total_cents",
        "status",
        "volunteer_id",
        "requested_at",
    }
    # Claim, see it under "mine", withdraw: it reopens with an unassigned event.
    assert (
        await client.post(f"{base}/delivery-requests/{request_id}/claim", headers=vol_headers)
    ).status == 200
    listing = await (await client.get(base + "/delivery-requests", headers=vol_headers)).json()
    assert listing["open"] == [] and listing["mine"][0]["volunteer_id"] == str(vol)
    # The requester sees that a volunteer took it.
    pickup = await (await client.get(base + "/pickup", headers=req_headers)).json()
    assert pickup["request"]["status"] == "assigned"
    resp = await client.delete(f"{base}/delivery-requests/{request_id}/claim", headers=vol_headers)
    assert resp.status == 204
    listing = await (await client.get(base + "/delivery-requests", headers=vol_headers)).json()
    assert [i["request_id"] for i in listing["open"]] == [request_id]
    async with db.connection() as conn:
        types = [
            r["routing_key"] for r in await conn.fetch("SELECT routing_key FROM outbox ORDER BY id")
        ]
    assert types == [
        "logistics.delivery.requested.v1",
        "logistics.delivery.assigned.v1",
        "logistics.delivery.unassigned.v1",
    ]


async def test_consent_withdrawal_cancels_and_tells_the_volunteer(
    client: Client, db: Database, people: People
) -> None:
    group_id, _, base = await distribution_base(db)
    paired = await request_and_volunteer(client, people, group_id, base)
    req_headers = paired.requester_headers
    claim_url = f"{base}/delivery-requests/{paired.request_id}/claim"
    assert (await client.post(claim_url, headers=paired.volunteer_headers)).status == 200
    # Changing choice away from need_delivery cancels the request.
    resp = await client.put(base + "/pickup", json={"choice": "pickup_only"}, headers=req_headers)
    assert resp.status == 200
    body = await resp.json()
    assert body["choice"] == "pickup_only" and body["consent"] is None
    assert body["request"] is None
    async with db.connection() as conn:
        rows = await conn.fetch("SELECT routing_key, body FROM outbox ORDER BY id")
        assert await conn.fetchval("SELECT count(*) FROM delivery_requests") == 0
    assert [r["routing_key"] for r in rows][-2:] == [
        "logistics.delivery.unassigned.v1",
        "logistics.delivery.cancelled.v1",
    ]
    assert rows[-2]["body"]["data"]["reason"] == "requester_cancelled"
    # Asking again, then withdrawing everything with DELETE.
    await need_delivery(client, base, req_headers)
    assert (await client.delete(base + "/pickup", headers=req_headers)).status == 204
    assert (await client.delete(base + "/pickup", headers=req_headers)).status == 404
    pickup = await (await client.get(base + "/pickup", headers=req_headers)).json()
    assert pickup == {**pickup, "choice": None, "consent": None, "request": None}


async def test_volunteer_cannot_claim_own_request_and_consent_is_checked(
    client: Client, db: Database, people: People
) -> None:
    group_id, _, base = await distribution_base(db)
    _, headers = people.member(group_id)
    # need_delivery without consent, consent with another choice, bad fields: 422.
    for body in (
        {"choice": "need_delivery"},
        {"choice": "can_deliver", "consent": CONSENT},
        {"choice": "need_delivery", "consent": {"fields": [], "text_version": "1"}},
        {
            "choice": "need_delivery",
            "consent": {"fields": ["address", "address"], "text_version": "1"},
        },
        {"choice": "need_delivery", "consent": {"fields": ["iban"], "text_version": "1"}},
        {"choice": "need_delivery", "reason": "sick", "consent": CONSENT},
        {"choice": "fly"},
    ):
        resp = await client.put(base + "/pickup", json=body, headers=headers)
        assert resp.status == 422, body
        assert resp.content_type == "application/problem+json"
    request_id = await need_delivery(client, base, headers)
    resp = await client.post(f"{base}/delivery-requests/{request_id}/claim", headers=headers)
    assert resp.status == 409
    assert (await resp.json())["code"] == "own-request"
    async with db.connection() as conn:
        assert await conn.fetchval("SELECT volunteer_id FROM delivery_requests") is None


async def test_coordinator_views_and_revoke(client: Client, db: Database, people: People) -> None:
    group_id, distribution_id, base = await distribution_base(db)
    _, coord = people.coordinator(group_id)
    r1, h1 = people.member(group_id)
    r2, h2 = people.member(group_id)
    v, hv = people.member(group_id)
    req1 = await need_delivery(client, base, h1)
    req2 = await need_delivery(client, base, h2)
    await volunteer(client, base, hv)
    assert (await client.post(f"{base}/delivery-requests/{req1}/claim", headers=hv)).status == 200
    slots = await slot_ids(db, distribution_id)
    assert (
        await client.post(base + "/booking", json={"slot_id": str(slots[2])}, headers=h1)
    ).status == 201
    # Members cannot see the coordination page.
    assert (await client.get(base + "/coordination", headers=h1)).status == 403
    view = await (await client.get(base + "/coordination", headers=coord)).json()
    assert [p["request_id"] for p in view["pairs"]] == [req1]
    assert view["pairs"][0]["volunteer_id"] == str(v)
    assert view["pairs"][0]["consented_fields"] == ["address", "phone"]
    assert [p["request_id"] for p in view["unpaired"]] == [req2]
    assert {p["requester_id"] for p in view["need_delivery"]} == {str(r1), str(r2)}
    assert [x["user_id"] for x in view["volunteers"]] == [str(v)]
    assert view["slots"][2]["user_ids"] == [str(r1)] and view["slots"][2]["booked"] == 1
    # Revoke the paired one: cancelled + unassigned (reason revoked), choice removed.
    resp = await client.post(f"{base}/delivery-requests/{req1}/revoke", headers=coord)
    assert resp.status == 204
    assert (
        await client.post(f"{base}/delivery-requests/{req1}/revoke", headers=coord)
    ).status == 404
    pickup = await (await client.get(base + "/pickup", headers=h1)).json()
    assert pickup["choice"] is None and pickup["request"] is None
    async with db.connection() as conn:
        rows = await conn.fetch("SELECT routing_key, body FROM outbox ORDER BY id")
    tail = [(r["routing_key"], r["body"]["data"].get("reason")) for r in rows][-2:]
    assert tail == [
        ("logistics.delivery.unassigned.v1", "revoked"),
        ("logistics.delivery.cancelled.v1", "revoked"),
    ]


async def test_member_left_and_user_erased_remove_everything_and_tell_the_other_side(
    client: Client, db: Database, people: People, settings: LogisticsSettings, event_sink: Any
) -> None:
    group_id, distribution_id, base = await distribution_base(db, capacity=1)
    slots = await slot_ids(db, distribution_id)
    paired = await request_and_volunteer(client, people, group_id, base)
    requester, hr = paired.requester_id, paired.requester_headers
    vol, hv = paired.volunteer_id, paired.volunteer_headers
    req = paired.request_id
    assert (await client.post(f"{base}/delivery-requests/{req}/claim", headers=hv)).status == 200
    for h, s in ((hr, slots[0]), (hv, slots[1])):
        assert (
            await client.post(base + "/booking", json={"slot_id": str(s)}, headers=h)
        ).status == 201
    # The volunteer leaves the group: claim handed back, booking freed.
    await publish(
        settings.amqp_url,
        settings.events_exchange,
        "accounts.member.left.v1",
        MemberLeftV1(user_id=vol, group_id=group_id),
    )
    assert await wait_until(db, "SELECT booked FROM slots WHERE id = $1", slots[1], expected=0) == 0
    async with db.connection() as conn:
        assert await conn.fetchval("SELECT volunteer_id FROM delivery_requests") is None
        assert (
            await conn.fetchval("SELECT count(*) FROM pickup_choices WHERE user_id = $1", vol) == 0
        )
    # The requester is erased: request, consent, booking gone; the place is free again.
    await publish(
        settings.amqp_url,
        settings.events_exchange,
        "accounts.user.erased.v1",
        UserErasedV1(user_id=requester, group_ids=[group_id]),
    )
    assert await wait_until(db, "SELECT booked FROM slots WHERE id = $1", slots[0], expected=0) == 0
    async with db.connection() as conn:
        for table, column in (
            ("delivery_requests", "requester_id"),
            ("pickup_choices", "user_id"),
            ("bookings", "user_id"),
            ("members", "user_id"),
        ):
            assert (
                await conn.fetchval(f"SELECT count(*) FROM {table} WHERE {column} = $1", requester)
                == 0
            )
    # Published, then deleted from the outbox (they name the erased person): read on the broker.
    await event_sink.wait_for(2, type_="logistics.slot.released.v1")
    await event_sink.wait_for(1, type_="logistics.delivery.cancelled.v1")
    events = [(e["type"], e["data"].get("reason")) for e in event_sink.events]
    ends = {e["type"]: e["data"] for e in event_sink.events if e["type"].startswith("logistics.d")}
    assert ("logistics.delivery.unassigned.v1", "member_left") in events
    assert ("logistics.delivery.cancelled.v1", "erased") in events
    # Both ids and whose side ended travel with the event: notifications needs nothing else.
    assert ends["logistics.delivery.unassigned.v1"]["ended_by"] == "volunteer"
    assert ends["logistics.delivery.cancelled.v1"]["ended_by"] == "requester"
    assert ends["logistics.delivery.cancelled.v1"]["volunteer_id"] is None  # already handed back
    assert [e for e in events if e[0] == "logistics.slot.released.v1"] == [
        ("logistics.slot.released.v1", None)
    ] * 2
    # The internal endpoint no longer knows the request.
    resp = await client.get(f"/internal/delivery-requests/{req}", headers=people.service())
    assert resp.status == 404
