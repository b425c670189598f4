"""Process roles and readiness: what an `api`, a `worker` and an `all` process do and answer."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import asyncpg
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import REGISTRY

from services.accounts.bootstrap import build_app
from services.accounts.seed import seed_demo
from services.accounts.settings import AccountsSettings
from shared.lifecycle import LIFECYCLE, Role
from shared.outbox import OutboxRelay
from tests.support.one_query import count_of

Client = TestClient[web.Request, web.Application]
UNREACHABLE_BROKER = "amqp://guest:guest@127.0.0.1:1/"
SIGNUP = {
    "first_name": "Awa",
    "last_name": "Diallo",
    "password": "un mot de passe",
    "phone": "06 06 06 06 06",
    "street": "3 rue des Cocus",
    "postcode": "31200",
    "city": "Toulouse",
}


@asynccontextmanager
async def running(settings: AccountsSettings, role: Role) -> AsyncIterator[Client]:
    app = await build_app(settings)
    app[LIFECYCLE].role = role
    async with TestClient(TestServer(app)) as client:
        yield client


def settings_for(database_url: str, amqp_url: str, exchange: str) -> AccountsSettings:
    return AccountsSettings(database_url=database_url, amqp_url=amqp_url, events_exchange=exchange)


async def until(condition: Callable[[], bool], seconds: float = 10) -> None:
    for _ in range(int(seconds * 20)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached")


async def unpublished(database_url: str) -> int:
    return await count_of(
        database_url, "SELECT count(*) FROM accounts.outbox WHERE published_at IS NULL"
    )


async def test_api_serves_without_publishing_and_worker_publishes(
    database_url, amqp_url, events_exchange, event_sink
):
    settings = settings_for(database_url, amqp_url, events_exchange)
    await seed_demo(settings)
    async with running(settings, "api") as api:
        resp = await api.post("/v1/signup", json={**SIGNUP, "email": "roles@example.org"})
        assert resp.status == 202, await resp.text()
        await asyncio.sleep(1.5)
        # No relay in an api process: the event waits in the outbox.
        assert await unpublished(database_url) > 0
        assert event_sink.events == []
    async with running(settings, "worker") as worker:
        await event_sink.wait_for(1, type_="accounts.member.joined.v1")
        for _ in range(100):
            if await unpublished(database_url) == 0:
                break
            await asyncio.sleep(0.1)
        assert await unpublished(database_url) == 0
        # A worker serves its probes and metrics, no API route.
        assert (await worker.get("/healthz")).status == 200
        assert (await worker.get("/metrics")).status == 200
        refused = await worker.post("/v1/signup", json={**SIGNUP, "email": "w@example.org"})
        assert refused.status == 404
        assert refused.content_type == "application/problem+json"
        ready = await worker.get("/readyz")
        body = await ready.json()
        assert ready.status == 200, body
        assert body["role"] == "worker"
        assert body["checks"] == {"database": True, "broker_relay": True}


async def test_api_stays_ready_while_the_broker_is_away(database_url, events_exchange):
    settings = settings_for(database_url, UNREACHABLE_BROKER, events_exchange)
    await seed_demo(settings)
    async with running(settings, "api") as api:
        ready = await api.get("/readyz")
        assert ready.status == 200, await ready.text()
        resp = await api.post("/v1/signup", json={**SIGNUP, "email": "nobroker@example.org"})
        assert resp.status == 202


async def test_worker_is_not_ready_without_the_broker(database_url, events_exchange):
    settings = settings_for(database_url, UNREACHABLE_BROKER, events_exchange)
    async with running(settings, "worker") as worker:
        ready = await worker.get("/readyz")
        assert ready.status == 503
        body = await ready.json()
        assert body["checks"]["broker_relay"] is False
        assert body["checks"]["database"] is True


async def test_draining_answers_503_and_closes_connections(database_url, amqp_url, events_exchange):
    settings = settings_for(database_url, amqp_url, events_exchange)
    async with running(settings, "api") as api:
        assert (await api.get("/readyz")).status == 200
        api.app[LIFECYCLE].start_draining()
        ready = await api.get("/readyz")
        assert ready.status == 503
        assert (await ready.json())["status"] == "draining"
        # Still served while draining, but no keep-alive: the balancer reconnects elsewhere.
        served = await api.get("/healthz")
        assert served.status == 200
        assert served.headers.get("Connection", "").lower() == "close"
        assert (
            REGISTRY.get_sample_value("service_draining", {"service": "accounts", "role": "api"})
            == 1
        )


async def test_outbox_lag_grows_while_the_broker_is_away(database_url, events_exchange):
    settings = settings_for(database_url, UNREACHABLE_BROKER, events_exchange)
    await seed_demo(settings)
    pool = await asyncpg.create_pool(
        database_url, server_settings={"search_path": "accounts,public"}
    )
    schema = f"lag{uuid.uuid4().hex[:6]}"
    relay = OutboxRelay(
        pool, database_url, schema, UNREACHABLE_BROKER, events_exchange, measure_interval=0.2
    )
    try:
        async with pool.acquire() as conn:
            await conn.execute(
                "UPDATE outbox SET published_at = NULL, created_at = now() - interval '90 seconds'"
            )
        relay.start()

        def lag() -> float:
            return REGISTRY.get_sample_value("outbox_lag_seconds", {"schema": schema}) or 0.0

        await until(lambda: lag() >= 90)
        backlog = REGISTRY.get_sample_value("outbox_backlog", {"schema": schema})
        assert backlog is not None and backlog > 0
        assert (
            REGISTRY.get_sample_value("broker_connected", {"service": schema, "component": "relay"})
            == 0
        )
    finally:
        await relay.stop()
        await pool.close()
