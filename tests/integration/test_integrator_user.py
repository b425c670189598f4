"""An integrator as the docs describe it: the read-only user made by
deploy/rabbitmq/integrator-user.sh runs examples/order_events_subscriber.py, receives the events of
a real order exactly once each (even one published twice), cannot publish to the events exchange
nor read another queue, and the example comes back after its connection is closed by force."""

import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aio_pika
import pytest
from aio_pika.abc import AbstractIncomingMessage
from aiormq.exceptions import ChannelAccessRefused
from yarl import URL

from shared.contracts.ordering import DistributionOpenedV1
from shared.envelope import new_event
from shared.outbox import to_message
from tests.integration.ordering.conftest import Ordering, ordering  # noqa: F401 (fixture)
from tests.support.infra import unavailable

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "rabbitmq" / "integrator-user.sh"
EXAMPLE = ROOT / "examples" / "order_events_subscriber.py"


def rabbitmqctl(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["rabbitmqctl", *args], capture_output=True, text=True, timeout=60, check=check
    )


def require_rabbitmqctl() -> None:
    reason = ""
    if shutil.which("rabbitmqctl") is None:
        reason = "rabbitmqctl is not installed"
    elif rabbitmqctl("list_users", "--quiet", check=False).returncode != 0:
        reason = "rabbitmqctl cannot reach the broker's node"
    if reason:
        unavailable(reason)


@dataclass
class Integrator:
    user: str
    password: str
    prefix: str
    url: str
    admin_url: str
    declared_queues: list[str] = field(default_factory=list)

    def queue(self, name: str) -> str:
        full = self.prefix + name
        self.declared_queues.append(full)
        return full


@pytest.fixture
async def integrator(amqp_url: str, events_exchange: str) -> AsyncIterator[Integrator]:
    require_rabbitmqctl()
    user = f"integrator-{uuid.uuid4().hex[:10]}"
    password = uuid.uuid4().hex
    prefix = events_exchange.removesuffix("vrac.events") + "acme."
    created = await asyncio.to_thread(
        subprocess.run,
        ["bash", str(SCRIPT), user, password, "/", prefix, events_exchange],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert created.returncode == 0, created.stderr
    url = str(URL(amqp_url).with_user(user).with_password(password))
    found = Integrator(user, password, prefix, url, amqp_url)
    try:
        yield found
    finally:
        await asyncio.to_thread(rabbitmqctl, "delete_user", user, check=False)
        connection = await aio_pika.connect(amqp_url)
        try:
            channel = await connection.channel()
            for name in found.declared_queues:
                await channel.queue_delete(name)
        finally:
            await connection.close()


def permissions_of(user: str) -> list[str]:
    lines = rabbitmqctl("list_user_permissions", user, "--quiet", "--no-table-headers").stdout
    return lines.strip().split("\t")


class Example:
    """examples/order_events_subscriber.py as a process: stdout = events, stderr = status."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.out: list[str] = []
        self.err: list[str] = []
        self._changed = asyncio.Condition()
        assert process.stdout is not None and process.stderr is not None
        self._readers = [
            asyncio.create_task(self._read(process.stdout, self.out)),
            asyncio.create_task(self._read(process.stderr, self.err)),
        ]

    async def _read(self, stream: asyncio.StreamReader, into: list[str]) -> None:
        while line := await stream.readline():
            async with self._changed:
                into.append(line.decode().rstrip("\n"))
                self._changed.notify_all()

    async def wait(self, predicate: Callable[[], bool], within: float = 30.0) -> None:
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(predicate), within)
            except TimeoutError:
                raise AssertionError(f"timed out; stdout={self.out} stderr={self.err}") from None

    def printed_ids(self) -> list[str]:
        return [word[3:] for line in self.out for word in line.split() if word.startswith("id=")]

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 15)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        for reader in self._readers:
            with contextlib.suppress(asyncio.CancelledError):
                await reader


@contextlib.asynccontextmanager
async def example(
    integrator: Integrator, exchange: str, queue: str, db: Path
) -> AsyncIterator[Example]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(EXAMPLE),
        "--queue",
        queue,
        "--exchange",
        exchange,
        "--routing-keys",
        "ordering.#",
        "--dedup-db",
        str(db),
        env={**os.environ, "VRAC_AMQP_URL": integrator.url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    running = Example(process)
    try:
        await running.wait(lambda: any(line.startswith("subscribed") for line in running.err))
        yield running
    finally:
        await running.stop()


def opened_event(source: str = "/ordering") -> dict[str, Any]:
    now = datetime.now(UTC)
    data = DistributionOpenedV1(
        distribution_id=uuid.uuid4(),
        group_id=uuid.uuid4(),
        starts_at=now + timedelta(days=2),
        ends_at=now + timedelta(days=2, hours=7),
        opens_at=now,
        closes_at=now + timedelta(days=1),
        place_name="Centre social",
        place_address="1 rue de la Paix",
    )
    event = new_event("ordering.distribution.opened.v1", source, data, group_id=data.group_id)
    return event.model_dump(mode="json")


async def admin_publish(url: str, exchange: str, event: dict[str, Any]) -> None:
    """Publish as the platform does (persistent CloudEvent, message_id = id, confirmed)."""
    connection = await aio_pika.connect(url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        target = await channel.get_exchange(exchange, ensure=False)
        await target.publish(
            to_message(uuid.UUID(event["id"]), event["type"], event),
            routing_key=event["type"],
            mandatory=True,
        )
    finally:
        await connection.close()


async def validate_an_order(ordering: Ordering) -> None:  # noqa: F811
    group = await ordering.new_group()
    dist = f"/v1/groups/{group.id}/distributions/{group.distribution}"
    token = ordering.member_token(group.id)
    for product, quantity in (("Amandes avec peau - en vrac", "0,5"), ("Lessive 1 L", "2")):
        await ordering.call(
            "POST",
            f"{dist}/cart/lines",
            token,
            {"product_id": group.products[product], "quantity": quantity},
            expect=200,
        )
    await ordering.call(
        "POST", f"{dist}/order/validate", token, {"payment_method": "on_site"}, expect=201
    )


async def test_integrator_receives_a_real_order_once_and_can_read_nothing_else(
    ordering: Ordering,  # noqa: F811
    event_sink: Any,
    integrator: Integrator,
    amqp_url: str,
    events_exchange: str,
    tmp_path: Path,
) -> None:
    escaped_prefix = integrator.prefix.replace(".", r"\.")
    escaped_exchange = events_exchange.replace(".", r"\.")
    assert permissions_of(integrator.user) == [
        "/",
        f"^{escaped_prefix}.*",
        f"^{escaped_prefix}.*",
        f"^({escaped_exchange}|{escaped_prefix}.*)$",
    ]
    queue = integrator.queue("order-events")
    async with example(integrator, events_exchange, queue, tmp_path / "seen.sqlite3") as running:
        # The events come from the platform: ordering's API writes them to its outbox and the
        # relay publishes them on the (per-test) events exchange.
        await validate_an_order(ordering)
        validated = (await event_sink.wait_for(1, type_="ordering.order.validated.v1"))[0]
        await running.wait(lambda: validated["id"] in running.printed_ids())

        # Everything the platform published under ordering.# reached the example, once.
        def ordering_ids() -> set[str]:
            return {e["id"] for e in event_sink.events if e["type"].startswith("ordering.")}

        await running.wait(lambda: set(running.printed_ids()) == ordering_ids())
        assert {"ordering.distribution.scheduled.v1", "ordering.order.validated.v1"} <= {
            line.split()[0] for line in running.out
        }

        # At least once: the same event published again is recognised and skipped.
        await admin_publish(amqp_url, events_exchange, validated)
        await running.wait(lambda: f"duplicate {validated['id']} skipped" in running.err)
        await asyncio.sleep(0.5)
        printed = running.printed_ids()
        assert len(printed) == len(set(printed)) == len(ordering_ids())
        assert printed.count(validated["id"]) == 1
        order_line = next(line for line in running.out if validated["id"] in line)
        assert order_line.startswith("ordering.order.validated.v1 ")
        assert f"total_cents={validated['data']['total_cents']}" in order_line

    # What the read-only user may not do, each refused by the broker with ACCESS_REFUSED.
    platform_queue = events_exchange.removesuffix("vrac.events") + "ordering"
    admin = await aio_pika.connect(amqp_url)
    try:
        admin_channel = await admin.channel()
        # The ordering service's own work queue (its consumer declared it under the test prefix).
        await admin_channel.declare_queue(platform_queue, passive=True)
        connection = await aio_pika.connect(integrator.url)
        try:
            # Publishing to the events exchange (basic.publish needs write on it).
            channel = await connection.channel(publisher_confirms=True)
            exchange = await channel.get_exchange(events_exchange, ensure=False)
            forged = opened_event("/forged")
            with pytest.raises(ChannelAccessRefused):
                await exchange.publish(
                    to_message(uuid.UUID(forged["id"]), forged["type"], forged),
                    routing_key=forged["type"],
                )

            # Consuming or getting from another queue (basic.consume/get need read on it).
            async def steal(message: AbstractIncomingMessage) -> None:
                await message.ack()

            channel = await connection.channel()
            with pytest.raises(ChannelAccessRefused):
                await (await channel.get_queue(platform_queue, ensure=False)).consume(steal)
            channel = await connection.channel()
            with pytest.raises(ChannelAccessRefused):
                await (await channel.get_queue(platform_queue, ensure=False)).get(timeout=5)
            # Declaring a queue outside its prefix, or the events exchange itself (configure).
            channel = await connection.channel()
            with pytest.raises(ChannelAccessRefused):
                await channel.declare_queue(events_exchange + ".stolen", durable=True)
            channel = await connection.channel()
            with pytest.raises(ChannelAccessRefused):
                await channel.declare_exchange(
                    events_exchange,
                    aio_pika.ExchangeType.TOPIC,
                    durable=True,
                    arguments={"alternate-exchange": events_exchange + ".unrouted"},
                )
            # Binding another queue to the events exchange (queue.bind needs write on the queue).
            # (A passive queue.declare needs no permission in RabbitMQ: it tells whether a queue
            # exists and its counts, never its messages. docs/integrating.md says so.)
            channel = await connection.channel()
            with pytest.raises(ChannelAccessRefused):
                await (await channel.get_queue(platform_queue, ensure=False)).bind(
                    events_exchange, routing_key="ordering.#"
                )
        finally:
            await connection.close()
        await asyncio.sleep(0.5)
        assert forged["id"] not in {e["id"] for e in event_sink.events}
    finally:
        await admin.close()


async def test_example_reconnects_after_its_connection_is_closed_by_force(
    integrator: Integrator, amqp_url: str, events_exchange: str, event_sink: Any, tmp_path: Path
) -> None:
    # event_sink declares the per-test events exchange as the platform does.
    queue = integrator.queue("reconnect")
    async with example(integrator, events_exchange, queue, tmp_path / "seen.sqlite3") as running:
        before = opened_event()
        await admin_publish(amqp_url, events_exchange, before)
        await running.wait(lambda: before["id"] in running.printed_ids())

        listed = await asyncio.to_thread(
            rabbitmqctl, "list_connections", "pid", "user", "--quiet", "--no-table-headers"
        )
        pids = [
            line.split("\t")[0]
            for line in listed.stdout.splitlines()
            if line.split("\t")[-1] == integrator.user
        ]
        assert len(pids) == 1, listed.stdout
        await asyncio.to_thread(rabbitmqctl, "close_connection", pids[0], "test: forced close")
        await running.wait(lambda: any("connection lost" in line for line in running.err))
        await running.wait(lambda: "reconnected" in running.err)

        after = opened_event()
        await admin_publish(amqp_url, events_exchange, after)
        await running.wait(lambda: after["id"] in running.printed_ids())
        assert running.printed_ids() == [before["id"], after["id"]]
        assert running.process.returncode is None
