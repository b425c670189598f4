"""Slots appear from ordering's events, through the real broker and the service's consumer."""

import asyncio
import uuid
from datetime import timedelta

from services.logistics.settings import LogisticsSettings
from shared.contracts.ordering import DistributionClosedV1
from shared.db import Database
from tests.integration.logistics.conftest import Client, People, publish, scheduled_payload

SCHEDULED = "ordering.distribution.scheduled.v1"


async def wait_until(
    db: Database, query: str, *args: object, expected: object, wait_seconds: float = 15.0
) -> object:
    deadline = asyncio.get_running_loop().time() + wait_seconds
    while True:
        async with db.connection() as conn:
            value = await conn.fetchval(query, *args)
        if value == expected or asyncio.get_running_loop().time() > deadline:
            return value
        await asyncio.sleep(0.1)


async def test_scheduled_event_delivered_twice_gives_one_set_of_slots(
    client: Client, db: Database, settings: LogisticsSettings, people: People
) -> None:
    group_id, distribution_id = uuid.uuid4(), uuid.uuid4()
    data = scheduled_payload(group_id, distribution_id)
    event_id = uuid.uuid4()
    # The same event twice (redelivery), then the same schedule as a new event (re-publish).
    for eid in (event_id, event_id, uuid.uuid4()):
        await publish(settings.amqp_url, settings.events_exchange, SCHEDULED, data, eid, group_id)
    handled = await wait_until(
        db, "SELECT count(*) FROM inbox WHERE consumer = 'logistics'", expected=2
    )
    assert handled == 2
    count = await wait_until(
        db,
        "SELECT count(*) FROM slots WHERE distribution_id = $1",
        distribution_id,
        expected=28,
    )
    assert count == 28
    await asyncio.sleep(0.3)
    async with db.connection() as conn:
        rows = await conn.fetch(
            "SELECT starts_at, ends_at, capacity, booked FROM slots WHERE distribution_id = $1"
            " ORDER BY starts_at",
            distribution_id,
        )
    assert len(rows) == 28
    assert rows[0]["starts_at"] == data.starts_at
    assert rows[-1]["ends_at"] == data.ends_at
    assert all(r["ends_at"] - r["starts_at"] == timedelta(minutes=15) for r in rows)
    assert {r["capacity"] for r in rows} == {8}
    # Members see them through the API.
    _, headers = people.member(group_id)
    resp = await client.get(
        f"/v1/groups/{group_id}/distributions/{distribution_id}/slots", headers=headers
    )
    assert resp.status == 200
    body = await resp.json()
    assert len(body["slots"]) == 28
    assert body["state"] == "open"
    assert body["slots"][0]["booked"] == 0 and body["slots"][0]["capacity"] == 8


async def test_closed_event_updates_the_window(
    client: Client, db: Database, settings: LogisticsSettings, people: People
) -> None:
    group_id, distribution_id = uuid.uuid4(), uuid.uuid4()
    data = scheduled_payload(group_id, distribution_id)
    await publish(settings.amqp_url, settings.events_exchange, SCHEDULED, data)
    assert (
        await wait_until(
            db,
            "SELECT count(*) FROM slots WHERE distribution_id = $1",
            distribution_id,
            expected=28,
        )
        == 28
    )
    async with db.connection() as conn:
        closes_at = await conn.fetchval("SELECT now() - interval '1 minute'")
    closed = DistributionClosedV1(**{**data.model_dump(), "closes_at": closes_at})
    await publish(
        settings.amqp_url, settings.events_exchange, "ordering.distribution.closed.v1", closed
    )
    assert (
        await wait_until(
            db, "SELECT state FROM distributions WHERE id = $1", distribution_id, expected="closed"
        )
        == "closed"
    )
    _, headers = people.member(group_id)
    base = f"/v1/groups/{group_id}/distributions/{distribution_id}"
    slots = (await (await client.get(base + "/slots", headers=headers)).json())["slots"]
    resp = await client.post(
        base + "/booking", json={"slot_id": slots[0]["slot_id"]}, headers=headers
    )
    assert resp.status == 409
    assert (await resp.json())["code"] == "ordering-closed"
    assert slots[0]["booked"] == 0
