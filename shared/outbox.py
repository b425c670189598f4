"""Transactional outbox: write the event with the state change; a relay publishes it later."""

import asyncio
import contextlib
import json
import random
import uuid
from dataclasses import dataclass, field
from typing import Any

import aio_pika
import asyncpg
from aio_pika.abc import AbstractExchange
from aio_pika.exceptions import AMQPConnectionError, ChannelInvalidStateError
from pydantic import BaseModel

from shared.amqp import declare_events_exchange
from shared.contracts import validate_event_data
from shared.db import Connection
from shared.envelope import new_event
from shared.listening import listen_to
from shared.logging import get_logger
from shared.metrics import BROKER_CONNECTED, OUTBOX_BACKLOG, OUTBOX_LAG, OUTBOX_PUBLISHED

log = get_logger(__name__)


@dataclass(frozen=True)
class OutboxRow:
    """An event ready for the outbox table: checked against its contract, in its envelope."""

    event_id: uuid.UUID
    routing_key: str
    body: dict[str, Any]


def outbox_row(
    event_type: str,
    source: str,
    data: BaseModel,
    subject: str | None = None,
    group_id: uuid.UUID | str | None = None,
) -> OutboxRow:
    """The row `add_event` inserts, for a use case whose own statement writes it with the state
    change (one round trip less on a hot path).

    `event_type` must be `type(data).ROUTING_KEY`: anything else raises
    `shared.contracts.RoutingKeyMismatch`.
    """
    validate_event_data(event_type, data)
    event = new_event(event_type, source, data, subject=subject, group_id=group_id)
    return OutboxRow(event.id, event_type, event.model_dump(mode="json", exclude_none=True))


async def add_event(
    conn: Connection,
    event_type: str,
    source: str,
    data: BaseModel,
    subject: str | None = None,
    group_id: uuid.UUID | str | None = None,
) -> OutboxRow:
    """Insert an event into the outbox; must run inside the transaction of the state change.

    `event_type` must be `type(data).ROUTING_KEY`: anything else raises
    `shared.contracts.RoutingKeyMismatch` before the outbox is touched.
    """
    row = outbox_row(event_type, source, data, subject=subject, group_id=group_id)
    await conn.execute(
        "INSERT INTO outbox (event_id, routing_key, body) VALUES ($1, $2, $3)",
        row.event_id,
        row.routing_key,
        row.body,
    )
    return row


def to_message(event_id: uuid.UUID, routing_key: str, body: dict[str, Any]) -> aio_pika.Message:
    return aio_pika.Message(
        body=json.dumps(body, ensure_ascii=False).encode(),
        content_type="application/cloudevents+json",
        message_id=str(event_id),
        type=routing_key,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
    )


@dataclass(eq=False, repr=False)  # compared by identity; no repr (the URLs hold passwords)
class OutboxRelay:
    """Publishes unpublished outbox rows; replicas share the work with FOR UPDATE SKIP LOCKED."""

    pool: asyncpg.Pool
    dsn: str
    schema: str
    amqp_url: str
    exchange_name: str
    batch_size: int = 500
    poll_interval: float = 1.0
    confirm_timeout: float = 10.0
    measure_interval: float = 5.0
    # Longest wait between two connection attempts while the broker is away: also the longest an
    # event committed just after the broker's return can wait for the relay.
    max_backoff: float = 8.0
    # Share of the process's time a relay catching up on a backlog may take: in an `all` process
    # the same event loop serves HTTP, which must not wait behind whole batches.
    max_share: float = 0.5
    connected: bool = field(default=False, init=False)
    connection_attempts: int = field(default=0, init=False)
    _failures: int = field(default=0, init=False)
    _wake: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    _stopping: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    _task: asyncio.Task[None] | None = field(default=None, init=False)

    def start(self) -> None:
        self._set_connected(False)
        self._task = asyncio.create_task(self._run(), name=f"outbox-relay-{self.schema}")

    async def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _set_connected(self, connected: bool) -> None:
        self.connected = connected
        # Exported only by a process that runs the relay (an `api` process shows no gauge).
        BROKER_CONNECTED.labels(self.schema, "relay").set(1 if connected else 0)

    def _on_connection_closed(self, *_: object) -> None:
        self._set_connected(False)
        self._wake.set()

    async def _run(self) -> None:
        helpers = [asyncio.create_task(self._listen()), asyncio.create_task(self._measure())]
        try:
            while not self._stopping.is_set():
                try:
                    await self._publish_with_connection()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    self._failures += 1
                    failures = self._failures
                    # Exponential back-off with full jitter, deaf to outbox wake-ups: while the
                    # broker is away, committed events must not each trigger a connection
                    # attempt, and replicas must not all come back at the same instant.
                    ceiling = min(self.max_backoff, self.poll_interval * 2**failures)
                    delay = random.uniform(0, ceiling)  # noqa: S311
                    if failures == 1 or failures % 10 == 0:
                        log.warning(
                            "outbox_relay_failed",
                            schema=self.schema,
                            error=repr(exc),
                            failures=failures,
                            retry_in_seconds=round(delay, 1),
                        )
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stopping.wait(), timeout=delay)
        finally:
            self._set_connected(False)
            for helper in helpers:
                helper.cancel()
            await asyncio.gather(*helpers, return_exceptions=True)

    async def _measure(self) -> None:
        """Backlog and age of the oldest unpublished row, whether the broker is there or not."""
        while True:
            try:
                async with self.pool.acquire(timeout=5) as conn:
                    row = await conn.fetchrow(
                        "SELECT count(*) AS backlog,"
                        " coalesce(extract(epoch FROM now() - min(created_at)), 0) AS lag"
                        " FROM outbox WHERE published_at IS NULL"
                    )
                if row is not None:
                    OUTBOX_BACKLOG.labels(self.schema).set(row["backlog"])
                    OUTBOX_LAG.labels(self.schema).set(float(row["lag"]))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("outbox_measure_failed", schema=self.schema, error=repr(exc))
            await asyncio.sleep(self.measure_interval)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        self._wake.clear()

    async def _listen(self) -> None:
        await listen_to(
            self.dsn,
            self.schema,
            "outbox",
            self._wake.set,
            error=str,
            running=lambda: not self._stopping.is_set(),
        )

    async def _publish_with_connection(self) -> None:
        self.connection_attempts += 1
        connection = await aio_pika.connect(self.amqp_url, timeout=5)
        # A connection lost while idle must be noticed before the next event, not by its failure.
        connection.close_callbacks.add(self._on_connection_closed)
        try:
            # Bounded: a broker that accepts the connection and then says nothing (a stalled
            # link) must not hold the relay forever.
            channel = await asyncio.wait_for(
                connection.channel(publisher_confirms=True, on_return_raises=True), 10
            )
            exchange = await asyncio.wait_for(
                declare_events_exchange(channel, self.exchange_name), 10
            )
            self._set_connected(True)
            if self._failures:
                log.info(
                    "outbox_relay_connected",
                    schema=self.schema,
                    failed_attempts=self._failures,
                    connection_attempts=self.connection_attempts,
                )
            # The next loss starts its back-off from the shortest delay again.
            self._failures = 0
            while not self._stopping.is_set():
                if connection.is_closed or channel.is_closed:
                    raise ConnectionError("broker connection lost")
                began = asyncio.get_running_loop().time()
                published = await self.publish_batch(exchange)
                if published < self.batch_size:
                    await self._sleep(self.poll_interval)
                elif self.max_share < 1.0:
                    # A full batch means a backlog: pause in proportion to the batch's duration
                    # so that catching up takes at most `max_share` of the process's time.
                    took = asyncio.get_running_loop().time() - began
                    await asyncio.sleep(took * (1.0 - self.max_share) / self.max_share)
        finally:
            self._set_connected(False)
            with contextlib.suppress(Exception):
                await connection.close()

    async def publish_batch(self, exchange: AbstractExchange) -> int:
        """Claim a batch, publish it with confirms awaited together, mark only the acked rows."""
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                "SELECT id, event_id, routing_key, body, created_at FROM outbox"
                " WHERE published_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
                self.batch_size,
            )
            if not rows:
                OUTBOX_LAG.labels(self.schema).set(0)
                return 0
            results = await asyncio.gather(
                *(
                    exchange.publish(
                        to_message(r["event_id"], r["routing_key"], r["body"]),
                        routing_key=r["routing_key"],
                        mandatory=True,
                        timeout=self.confirm_timeout,
                    )
                    for r in rows
                ),
                return_exceptions=True,
            )
            acked = [
                r["id"]
                for r, res in zip(rows, results, strict=True)
                if not isinstance(res, BaseException)
            ]
            failed = [
                r["id"]
                for r, res in zip(rows, results, strict=True)
                if isinstance(res, BaseException)
            ]
            if acked:
                # An event about an erased person is deleted once published (shared.retention).
                await conn.execute(
                    "DELETE FROM outbox WHERE id = ANY($1::bigint[]) AND forget_after_publish",
                    acked,
                )
                await conn.execute(
                    "UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])", acked
                )
            if failed:
                await conn.execute(
                    "UPDATE outbox SET attempts = attempts + 1 WHERE id = ANY($1::bigint[])", failed
                )
                first_error = next(res for res in results if isinstance(res, BaseException))
                # A closed channel or connection sent nothing: not a refusal by the broker.
                lost = isinstance(
                    first_error, (ChannelInvalidStateError, AMQPConnectionError, ConnectionError)
                )
                log.warning(
                    "outbox_publish_interrupted" if lost else "outbox_publish_not_confirmed",
                    schema=self.schema,
                    failed=len(failed),
                    error=repr(first_error),
                )
            OUTBOX_PUBLISHED.labels(self.schema).inc(len(acked))
        if failed:
            raise RuntimeError(f"{len(failed)} outbox rows not confirmed by the broker")
        return len(acked)
