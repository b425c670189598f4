"""Shared fixtures: per-test database cloned from a migrated template, per-test exchange."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aio_pika
import asyncpg
import pytest

from shared.amqp import declare_events_exchange
from shared.auth import TokenIssuer, TokenVerifier
from shared.logging import configure_logging
from shared.migrations import migrate
from tests.support.infra import (
    database_from_template,
    infrastructure,
    migrations_fingerprint,
    service_dirs,
    with_database,
)
from tests.support.topology import delete_event_topology

configure_logging("tests", "WARNING")


@pytest.fixture(scope="session")
def infra() -> Iterator[tuple[str, str]]:
    with infrastructure() as urls:
        yield urls


@pytest.fixture(scope="session")
async def template_database(infra: tuple[str, str]) -> str:
    admin_url = infra[0]
    name = f"vrac_template_{migrations_fingerprint()}"
    conn = await asyncpg.connect(admin_url)
    try:
        # One session at a time builds the template; others wait on the lock.
        await conn.execute("SELECT pg_advisory_lock(424242)")
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            building = f"{name}_building"
            await conn.execute(f'DROP DATABASE IF EXISTS "{building}"')
            await conn.execute(f'CREATE DATABASE "{building}"')
            for service, directory in service_dirs():
                await migrate(with_database(admin_url, building), service, directory)
            await conn.execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
            await conn.execute(f'ALTER DATABASE "{name}" WITH IS_TEMPLATE true')
        await conn.execute("SELECT pg_advisory_unlock(424242)")
    finally:
        await conn.close()
    return name


@pytest.fixture
async def database_url(infra: tuple[str, str], template_database: str) -> AsyncIterator[str]:
    async with database_from_template(infra[0], template_database, "vrac_test") as url:
        yield url


@pytest.fixture
def amqp_url(infra: tuple[str, str]) -> str:
    return infra[1]


@pytest.fixture
async def events_exchange(amqp_url: str) -> AsyncIterator[str]:
    """A per-test exchange name; queues declared under its prefix are deleted afterwards."""
    prefix = f"t{uuid.uuid4().hex[:10]}."
    exchange = f"{prefix}vrac.events"
    yield exchange
    connection = await aio_pika.connect(amqp_url)
    try:
        await delete_event_topology(await connection.channel(), exchange)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def token_issuer() -> TokenIssuer:
    return TokenIssuer.generate()


@pytest.fixture(scope="session")
def token_verifier(token_issuer: TokenIssuer) -> TokenVerifier:
    return TokenVerifier.for_issuer(token_issuer)


class EventSink:
    """An integrator's view: its own queue bound to the exchange, collecting CloudEvents."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.messages: list[aio_pika.abc.AbstractIncomingMessage] = []
        self._changed = asyncio.Condition()

    async def on_message(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        async with message.process(), self._changed:
            self.events.append(json.loads(message.body))
            self.messages.append(message)
            self._changed.notify_all()

    async def wait_for(
        self, count: int, within: float = 20.0, type_: str | None = None
    ) -> list[dict[str, Any]]:
        def matching() -> list[dict[str, Any]]:
            return [e for e in self.events if type_ is None or e["type"] == type_]

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(matching()) >= count), within)
        return matching()


@pytest.fixture
async def event_sink(amqp_url: str, events_exchange: str) -> AsyncIterator[EventSink]:
    sink = EventSink()
    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel()
    exchange = await declare_events_exchange(channel, events_exchange)
    queue = await channel.declare_queue(exclusive=True, auto_delete=True)
    await queue.bind(exchange, routing_key="#")
    await queue.consume(sink.on_message)
    yield sink
    await connection.close()
