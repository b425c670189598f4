"""Tenant isolation on every route and bad input: clear 4xx problem+json, nothing changed."""

import uuid
from datetime import timedelta
from typing import Any

import pytest

from shared.db import Database
from tests.integration.logistics.conftest import Client, People, make_distribution, slot_ids, window

CONSENT = {"fields": ["phone"], "text_version": "2026-01"}


async def snapshot(db: Database) -> list[Any]:
    async with db.connection() as conn:
        out = []
        for query in (
            "SELECT * FROM slots",
            "SELECT * FROM bookings",
            "SELECT * FROM pickup_choices",
            "SELECT * FROM delivery_requests",
            "SELECT * FROM distributions",
            "SELECT event_id, routing_key FROM outbox",
        ):  # the relay marks rows
            out.append(sorted(map(tuple, await conn.fetch(query)), key=repr))
        return out


@pytest.fixture
async def two_groups(client: Client, db: Database, people: People) -> dict[str, Any]:
    """Group A (3 Cocus) with a request and a booking; group B (Soupetard) with its own."""
    ga, da = await make_distribution(db)
    gb, db_ = await make_distribution(db)
    sa, sb = await slot_ids(db, da), await slot_ids(db, db_)
    base_b = f"/v1/groups/{gb}/distributions/{db_}"
    _, hb = people.member(gb)
    resp = await client.put(
        base_b + "/pickup", json={"choice": "need_delivery", "consent": CONSENT}, headers=hb
    )
    request_b = (await resp.json())["request"]["request_id"]
    assert (
        await client.post(base_b + "/booking", json={"slot_id": str(sb[0])}, headers=hb)
    ).status == 201
    return {"ga": ga, "da": da, "gb": gb, "db": db_, "sa": sa, "sb": sb, "request_b": request_b}


def routes(group: Any, dist: Any, slot: Any, request: Any) -> list[tuple[str, str, Any]]:
    base = f"/v1/groups/{group}/distributions/{dist}"
    return [
        ("GET", base + "/slots", None),
        ("GET", base + "/booking", None),
        ("POST", base + "/booking", {"slot_id": str(slot)}),
        ("PUT", base + "/booking", {"slot_id": str(slot)}),
        ("DELETE", base + "/booking", None),
        ("GET", base + "/pickup", None),
        ("PUT", base + "/pickup", {"choice": "can_deliver"}),
        ("DELETE", base + "/pickup", None),
        ("GET", base + "/delivery-requests", None),
        ("POST", f"{base}/delivery-requests/{request}/claim", None),
        ("DELETE", f"{base}/delivery-requests/{request}/claim", None),
        ("GET", base + "/coordination", None),
        ("PUT", base + "/capacity", {"default_capacity": 2}),
        ("PUT", f"{base}/slots/{slot}/capacity", {"capacity": 1}),
        ("POST", f"{base}/delivery-requests/{request}/revoke", None),
    ]


async def test_every_route_refuses_another_groups_members_and_coordinators(
    client: Client, db: Database, people: People, two_groups: dict[str, Any]
) -> None:
    g = two_groups
    before = await snapshot(db)
    _, member_a = people.member(g["ga"])
    _, coord_a = people.coordinator(g["ga"])
    for headers in (member_a, coord_a):
        # Group B's paths with a group A token: 403, whatever the route.
        for method, path, body in routes(g["gb"], g["db"], g["sb"][0], g["request_b"]):
            resp = await client.request(method, path, json=body, headers=headers)
            assert resp.status == 403, (method, path, resp.status)
            assert resp.content_type == "application/problem+json"
        # Group A's path naming group B's distribution / slot / request: 404.
        for method, path, body in routes(g["ga"], g["db"], g["sb"][0], g["request_b"]):
            resp = await client.request(method, path, json=body, headers=headers)
            assert resp.status in (403, 404), (method, path, resp.status)
            if headers is coord_a:
                assert resp.status == 404, (method, path, resp.status)
        for method, path, body in routes(g["ga"], g["da"], g["sb"][0], g["request_b"]):
            if (
                path.endswith(("/slots", "/pickup", "/coordination"))
                and method in ("GET", "PUT")
                and "capacity" not in path
            ):
                continue  # these do not name a foreign object
            if path.endswith("/capacity") and "slots" not in path:
                continue
            if path.endswith(("/booking", "/delivery-requests")) and method in ("GET", "DELETE"):
                continue
            resp = await client.request(method, path, json=body, headers=headers)
            assert resp.status in (403, 404), (method, path, resp.status)
    # No token at all: 401.
    for method, path, body in routes(g["gb"], g["db"], g["sb"][0], g["request_b"]):
        resp = await client.request(method, path, json=body)
        assert resp.status == 401
    assert await snapshot(db) == before


async def test_internal_endpoints_need_a_service_token(
    client: Client, people: People, two_groups: dict[str, Any]
) -> None:
    g = two_groups
    _, member_b = people.member(g["gb"])
    paths = [f"/internal/delivery-requests/{g['request_b']}"]
    resp = await client.get(
        f"/v1/groups/{g['gb']}/distributions/{g['db']}/coordination",
        headers=people.coordinator(g["gb"])[1],
    )
    view = await resp.json()
    booked_user = view["slots"][0]["user_ids"][0]
    paths.append(f"/internal/distributions/{g['db']}/bookings/{booked_user}")
    for path in paths:
        assert (await client.get(path)).status == 401
        assert (await client.get(path, headers=member_b)).status == 403
    resp = await client.get(paths[0], headers=people.service())
    assert resp.status == 200
    body = await resp.json()
    assert body["request_id"] == g["request_b"] and body["group_id"] == str(g["gb"])
    assert body["consented_fields"] == ["phone"] and body["volunteer_id"] is None
    assert body["consented_at"]
    resp = await client.get(paths[1], headers=people.service())
    assert resp.status == 200
    assert (await resp.json())["slot_id"] == str(g["sb"][0])
    resp = await client.get(
        f"/internal/distributions/{g['db']}/bookings/{uuid.uuid4()}", headers=people.service()
    )
    assert resp.status == 404 and (await resp.json())["code"] == "no-booking"
    assert (
        await client.get("/internal/delivery-requests/nope", headers=people.service())
    ).status == 404


async def test_bad_input_is_a_clear_4xx_and_changes_nothing(
    client: Client, db: Database, people: People
) -> None:
    group_id, distribution_id = await make_distribution(db, capacity=1)
    _, other_dist = await make_distribution(db, group_id=group_id)
    w = window()
    _, closed_dist = await make_distribution(
        db,
        group_id=group_id,
        opens_at=w["opens_at"] - timedelta(days=3),
        closes_at=w["opens_at"] - timedelta(hours=2),
    )
    _, future_dist = await make_distribution(
        db, group_id=group_id, opens_at=w["opens_at"] + timedelta(days=1)
    )
    past = w["opens_at"] - timedelta(days=1)
    _, past_dist = await make_distribution(
        db,
        group_id=group_id,
        starts_at=past - timedelta(hours=2),
        ends_at=past,
        opens_at=past - timedelta(days=5),
        closes_at=w["closes_at"],
    )
    slots = await slot_ids(db, distribution_id)
    base = f"/v1/groups/{group_id}/distributions/{distribution_id}"
    user, headers = people.member(group_id)
    _, full_headers = people.member(group_id)
    assert (
        await client.post(base + "/booking", json={"slot_id": str(slots[1])}, headers=full_headers)
    ).status == 201
    before = await snapshot(db)
    cases: list[tuple[str, str, Any, int, str]] = [
        (
            "POST",
            base + "/booking",
            {"slot_id": str((await slot_ids(db, other_dist))[0])},
            404,
            "slot-not-found",
        ),
        ("POST", base + "/booking", {"slot_id": str(uuid.uuid4())}, 404, "slot-not-found"),
        ("POST", base + "/booking", {"slot_id": "not-a-uuid"}, 422, "invalid-input"),
        ("POST", base + "/booking", {}, 422, "invalid-input"),
        ("POST", base + "/booking", {"slot_id": str(slots[1])}, 409, "slot-full"),
        (
            "POST",
            f"/v1/groups/{group_id}/distributions/{closed_dist}/booking",
            {"slot_id": str((await slot_ids(db, closed_dist))[0])},
            409,
            "ordering-closed",
        ),
        (
            "POST",
            f"/v1/groups/{group_id}/distributions/{future_dist}/booking",
            {"slot_id": str((await slot_ids(db, future_dist))[0])},
            409,
            "ordering-not-open",
        ),
        (
            "POST",
            f"/v1/groups/{group_id}/distributions/{past_dist}/booking",
            {"slot_id": str((await slot_ids(db, past_dist))[0])},
            409,
            "slot-past",
        ),
        ("PUT", base + "/booking", {"slot_id": str(slots[0])}, 404, "no-booking"),
        ("DELETE", base + "/booking", None, 404, "no-booking"),
        (
            "GET",
            f"/v1/groups/{group_id}/distributions/{uuid.uuid4()}/slots",
            None,
            404,
            "distribution-not-found",
        ),
        ("GET", f"/v1/groups/{group_id}/distributions/xyz/slots", None, 404, "not-found"),
        ("GET", f"/v1/groups/xyz/distributions/{distribution_id}/slots", None, 404, "not-found"),
        ("POST", f"{base}/delivery-requests/{uuid.uuid4()}/claim", None, 404, "request-not-found"),
        ("POST", f"{base}/delivery-requests/12/claim", None, 404, "not-found"),
        (
            "DELETE",
            f"{base}/delivery-requests/{uuid.uuid4()}/claim",
            None,
            404,
            "request-not-found",
        ),
        (
            "PUT",
            f"/v1/groups/{group_id}/distributions/{past_dist}/pickup",
            {"choice": "pickup_only"},
            409,
            "distribution-over",
        ),
    ]
    for method, path, body, status, code in cases:
        resp = await client.request(method, path, json=body, headers=headers)
        assert resp.status == status, (method, path, await resp.text())
        assert resp.content_type == "application/problem+json"
        problem = await resp.json()
        assert problem["code"] == code, (path, problem)
        assert problem["detail"] and problem["detail_en"]
    resp = await client.post(base + "/booking", data=b"{nope", headers=headers)
    assert resp.status == 400
    assert await snapshot(db) == before
    # Booking twice (even the same slot) is refused; nothing else changes.
    assert (
        await client.post(base + "/booking", json={"slot_id": str(slots[0])}, headers=headers)
    ).status == 201
    resp = await client.post(base + "/booking", json={"slot_id": str(slots[0])}, headers=headers)
    assert resp.status == 409 and (await resp.json())["code"] == "already-booked"
    mine = await (await client.get(base + "/booking", headers=headers)).json()
    assert mine["slot_id"] == str(slots[0]) and mine["user_id"] == str(user)


async def test_member_books_moves_and_releases_with_events(
    client: Client, db: Database, people: People, event_sink: Any
) -> None:
    group_id, distribution_id = await make_distribution(db)
    slots = await slot_ids(db, distribution_id)
    base = f"/v1/groups/{group_id}/distributions/{distribution_id}"
    user, headers = people.member(group_id)
    assert (
        await client.post(base + "/booking", json={"slot_id": str(slots[0])}, headers=headers)
    ).status == 201
    view = await (await client.get(base + "/slots", headers=headers)).json()
    assert view["my_slot_id"] == str(slots[0])
    assert view["slots"][0] == {**view["slots"][0], "booked": 1, "mine": True, "available": 7}
    resp = await client.put(base + "/booking", json={"slot_id": str(slots[3])}, headers=headers)
    assert resp.status == 200 and (await resp.json())["slot_id"] == str(slots[3])
    assert (await client.delete(base + "/booking", headers=headers)).status == 204
    events = await event_sink.wait_for(3)
    assert [e["type"] for e in events] == [
        "logistics.slot.booked.v1",
        "logistics.slot.moved.v1",
        "logistics.slot.released.v1",
    ]
    assert events[1]["data"]["previous_slot_id"] == str(slots[0])
    assert all(e["data"]["user_id"] == str(user) for e in events)
    assert events[0]["groupid"] == str(group_id)


async def test_coordinator_capacity_rules(client: Client, db: Database, people: People) -> None:
    group_id, distribution_id = await make_distribution(db)
    slots = await slot_ids(db, distribution_id)
    base = f"/v1/groups/{group_id}/distributions/{distribution_id}"
    _, coord = people.coordinator(group_id)
    _, member = people.member(group_id)
    # The tutorial's « 3 personnes sur le créneau de 16h45 »: slot index 15 (13:00 + 3h45).
    resp = await client.put(
        f"{base}/slots/{slots[15]}/capacity", json={"capacity": 3}, headers=coord
    )
    assert resp.status == 200 and (await resp.json())["capacity"] == 3
    assert (
        await client.put(f"{base}/slots/{slots[15]}/capacity", json={"capacity": 3}, headers=member)
    ).status == 403
    for _ in range(3):
        _, h = people.member(group_id)
        assert (
            await client.post(base + "/booking", json={"slot_id": str(slots[0])}, headers=h)
        ).status == 201
    resp = await client.put(base + "/capacity", json={"default_capacity": 2}, headers=coord)
    assert resp.status == 409 and (await resp.json())["code"] == "capacity-below-bookings"
    resp = await client.put(
        f"{base}/slots/{slots[0]}/capacity", json={"capacity": 2}, headers=coord
    )
    assert resp.status == 409
    resp = await client.put(base + "/capacity", json={"default_capacity": 5}, headers=coord)
    assert resp.status == 200
    caps = [s["capacity"] for s in (await resp.json())["slots"]]
    assert caps[15] == 3 and caps[0] == 5 and set(caps[16:]) == {5}
    resp = await client.put(
        f"{base}/slots/{slots[15]}/capacity", json={"capacity": None}, headers=coord
    )
    assert (await resp.json())["capacity"] == 5
    for bad in ({"default_capacity": -1}, {"default_capacity": "8"}, {"default_capacity": 9999}):
        assert (await client.put(base + "/capacity", json=bad, headers=coord)).status == 422
