"""Fixtures for the logistics service: the app on a per-test database and exchange."""

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aio_pika
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from services.logistics import repository
from services.logistics.bootstrap import build_app
from services.logistics.settings import LogisticsSettings
from shared.amqp import declare_events_exchange
from shared.auth import TokenIssuer
from shared.contracts.ordering import DistributionScheduledV1
from shared.db import Database, create_pool
from shared.envelope import new_event

Client = TestClient[web.Request, web.Application]


@pytest.fixture
def settings(database_url: str, amqp_url: str, events_exchange: str) -> LogisticsSettings:
    return LogisticsSettings(
        database_url=database_url, amqp_url=amqp_url, events_exchange=events_exchange
    )


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    pool = await create_pool(database_url, "logistics", 2, 16)
    yield Database(pool, 16)
    await pool.close()


@pytest.fixture
async def client(settings: LogisticsSettings, token_verifier: Any) -> AsyncIterator[Client]:
    app = await build_app(settings, token_verifier)
    async with TestClient(TestServer(app)) as c:
        yield c


def window(
    opens_in: timedelta = timedelta(hours=-1), closes_in: timedelta = timedelta(days=1)
) -> dict[str, datetime]:
    """A distribution tomorrow 13:00–20:00 (Paris summer time = UTC+2 → 11:00–18:00 UTC)."""
    now = datetime.now(UTC)
    day = (now + timedelta(days=2)).replace(hour=11, minute=0, second=0, microsecond=0)
    return {
        "starts_at": day,
        "ends_at": day + timedelta(hours=7),
        "opens_at": now + opens_in,
        "closes_at": now + closes_in,
    }


async def make_distribution(
    db: Database,
    group_id: uuid.UUID | None = None,
    capacity: int = 8,
    **times: datetime,
) -> tuple[uuid.UUID, uuid.UUID]:
    """What the consumer does on `ordering.distribution.scheduled.v1` (tested end to end apart)."""
    distribution_id = uuid.uuid4()
    group_id = group_id or uuid.uuid4()
    w = window()
    w.update(times)
    async with db.transaction() as conn:
        await repository.upsert_distribution(
            conn,
            distribution_id=distribution_id,
            group_id=group_id,
            state=None,
            default_capacity=capacity,
            slot_minutes=15,
            **w,
        )
    return group_id, distribution_id


async def distribution_base(db: Database, **kwargs: Any) -> tuple[uuid.UUID, uuid.UUID, str]:
    """`make_distribution`, and the distribution's API path."""
    group_id, distribution_id = await make_distribution(db, **kwargs)
    return group_id, distribution_id, f"/v1/groups/{group_id}/distributions/{distribution_id}"


async def slot_ids(db: Database, distribution_id: uuid.UUID) -> list[uuid.UUID]:
    async with db.connection() as conn:
        rows = await conn.fetch(
            "SELECT id FROM slots WHERE distribution_id = $1 ORDER BY starts_at", distribution_id
        )
    return [r["id"] for r in rows]


def scheduled_payload(group_id: uuid.UUID, distribution_id: uuid.UUID) -> DistributionScheduledV1:
    return DistributionScheduledV1(
        distribution_id=distribution_id,
        group_id=group_id,
        place_name="Centre social",
        place_address="23 rue Georges Lyvet 69200 Vénissieux",
        **window(),
    )


async def publish(
    amqp_url: str,
    exchange_name: str,
    routing_key: str,
    data: Any,
    event_id: uuid.UUID | None = None,
    group_id: uuid.UUID | None = None,
) -> None:
    """Publish an event as another service's relay would (CloudEvents, persistent)."""
    event = new_event(routing_key, "/test", data, group_id=group_id)
    if event_id is not None:
        event.id = event_id
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        exchange = await declare_events_exchange(channel, exchange_name)
        await exchange.publish(
            aio_pika.Message(
                body=json.dumps(event.model_dump(mode="json", exclude_none=True)).encode(),
                content_type="application/cloudevents+json",
                message_id=str(event.id),
                type=routing_key,
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key=routing_key,
            mandatory=True,
        )
    finally:
        await connection.close()


class People:
    """Sign access tokens for members and coordinators of groups."""

    def __init__(self, issuer: TokenIssuer) -> None:
        self.issuer = issuer

    def member(
        self, group_id: uuid.UUID, user_id: uuid.UUID | None = None, first_name: str = "Sarah"
    ) -> tuple[uuid.UUID, dict[str, str]]:
        user_id = user_id or uuid.uuid4()
        token = self.issuer.issue(user_id, {str(group_id): "member"}, first_name=first_name)
        return user_id, {"Authorization": f"Bearer {token}"}

    def coordinator(self, group_id: uuid.UUID) -> tuple[uuid.UUID, dict[str, str]]:
        user_id = uuid.uuid4()
        token = self.issuer.issue(user_id, {str(group_id): "coordinator"})
        return user_id, {"Authorization": f"Bearer {token}"}

    def service(self, name: str = "notifications") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.issuer.issue_service(name)}"}


@pytest.fixture
def people(token_issuer: TokenIssuer) -> People:
    return People(token_issuer)
