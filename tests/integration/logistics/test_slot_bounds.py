"""An event whose window would be cut into too many slots is poison: dead-lettered with a log line
at once, never a loop over millions of slots; the events behind it are handled (issue 11)."""

import uuid
from datetime import timedelta

from prometheus_client import REGISTRY

from services.logistics.settings import LogisticsSettings
from shared.contracts.ordering import DistributionScheduledV1
from shared.db import Database
from tests.integration.logistics.conftest import (
    Client,
    People,
    distribution_base,
    publish,
    scheduled_payload,
)
from tests.integration.logistics.test_slot_generation import SCHEDULED, wait_until


def dead_lettered() -> float:
    labels = {"consumer": "logistics", "outcome": "dead_lettered"}
    return REGISTRY.get_sample_value("consumer_messages_total", labels) or 0.0


async def test_a_100_year_window_is_poison_and_the_next_event_is_handled(
    client: Client, db: Database, settings: LogisticsSettings
) -> None:
    group_id, huge_id, good_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    good = scheduled_payload(group_id, good_id)
    huge = DistributionScheduledV1(
        **{
            **scheduled_payload(group_id, huge_id).model_dump(),
            "ends_at": good.starts_at + timedelta(days=365 * 100),
        }
    )
    before = dead_lettered()
    await publish(settings.amqp_url, settings.events_exchange, SCHEDULED, huge, group_id=group_id)
    await publish(settings.amqp_url, settings.events_exchange, SCHEDULED, good, group_id=group_id)
    count = await wait_until(
        db, "SELECT count(*) FROM slots WHERE distribution_id = $1", good_id, expected=28
    )
    assert count == 28
    assert dead_lettered() == before + 1
    async with db.connection() as conn:
        assert await conn.fetchval("SELECT count(*) FROM distributions WHERE id = $1", huge_id) == 0
        assert (
            await conn.fetchval("SELECT count(*) FROM slots WHERE distribution_id = $1", huge_id)
            == 0
        )
        handled = await conn.fetchval("SELECT count(*) FROM inbox WHERE consumer = 'logistics'")
    assert handled == 1


async def test_a_control_character_in_the_consent_text_version_gets_422(
    client: Client, db: Database, people: People
) -> None:
    group_id, _, base = await distribution_base(db)
    _, headers = people.member(group_id)
    for version in ("2026\x00-01", "2026-01\r\n", " 2026-01"):
        consent = {"fields": ["phone"], "text_version": version}
        resp = await client.put(
            base + "/pickup", json={"choice": "need_delivery", "consent": consent}, headers=headers
        )
        assert resp.status == 422, version
        problem = await resp.json(content_type=None)
        assert resp.content_type == "application/problem+json"
        assert {e["field"] for e in problem["errors"]} == {"consent.text_version"}
    async with db.connection() as conn:
        assert await conn.fetchval("SELECT count(*) FROM pickup_choices") == 0
