"""An integrator's subscriber to VRAC's order events, runnable as it is.

    python examples/order_events_subscriber.py --queue acme.order-events

It declares its own durable quorum queue, binds it to the `vrac.events` topic exchange with
`ordering.#`, prints one line per event on stdout and acknowledges each message after handling
it. Delivery is at least once, so it deduplicates on the CloudEvent `id` with a small SQLite file:
the id is recorded in the same transaction as the handling, so a duplicate is skipped even after a
restart of this program (an in-memory LRU would forget everything on restart, which is exactly
when the broker redelivers what was not yet acknowledged). Ids older than `--keep-days` are pruned.

It survives a broker restart or a dropped connection: `aio_pika.connect_robust` reconnects and
restores the channel, the queue, its bindings and the consumer. (A plain `aio_pika.connect`
connection does not come back, and awaiting its `closed()` does not even resolve when the broker
dies, so a program waiting on it would hang silently.) Status lines go to stderr.

Settings: arguments, else environment variables VRAC_AMQP_URL, VRAC_QUEUE, VRAC_EXCHANGE,
VRAC_ROUTING_KEYS (comma-separated), VRAC_DEDUP_DB. With the read-only integrator user of
deploy/rabbitmq/integrator-user.sh the queue name must start with that user's prefix.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sqlite3
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection

DEFAULT_URL = "amqp://guest:guest@127.0.0.1:5672/"
DEFAULT_EXCHANGE = "vrac.events"
DEFAULT_ROUTING_KEYS = ("ordering.#",)
DAY = 24 * 3600


def status(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Config:
    amqp_url: str
    queue: str
    exchange: str
    routing_keys: tuple[str, ...]
    dedup_db: Path
    keep_days: float = 30.0
    prefetch: int = 16
    heartbeat: int = 10


class SeenEvents:
    """Event ids already handled, in SQLite: survives restarts, bounded by age."""

    def __init__(self, path: Path, keep_days: float) -> None:
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS seen (event_id TEXT PRIMARY KEY, seen_at REAL NOT NULL)"
        )
        self._keep_seconds = keep_days * DAY
        self.prune()

    def handle_once(self, event_id: str, handler: Any, *args: Any) -> bool:
        """Run `handler(*args)` unless `event_id` was handled before; False for a duplicate.
        The id is committed only if the handler succeeds."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            inserted = self._db.execute(
                "INSERT OR IGNORE INTO seen (event_id, seen_at) VALUES (?, ?)",
                (event_id, time.time()),
            ).rowcount
            if inserted:
                handler(*args)
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        return bool(inserted)

    def prune(self) -> None:
        self._db.execute("DELETE FROM seen WHERE seen_at < ?", (time.time() - self._keep_seconds,))

    def close(self) -> None:
        self._db.close()


def event_line(event: dict[str, Any]) -> str:
    """One line per event: its type, id, group, subject and the data's scalar fields."""
    data = event.get("data") or {}
    fields = " ".join(
        f"{key}={value}"
        for key, value in data.items()
        if isinstance(value, str | int | float | bool)
    )
    return (
        f"{event.get('type')} id={event.get('id')} group={event.get('groupid', '-')} "
        f"subject={event.get('subject', '-')} {fields}"
    ).rstrip()


def print_event(event: dict[str, Any]) -> None:
    print(event_line(event), flush=True)


class Subscriber:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.seen = SeenEvents(config.dedup_db, config.keep_days)
        self.connection: AbstractRobustConnection | None = None
        self.closing = False

    async def on_message(self, message: AbstractIncomingMessage) -> None:
        try:
            event = json.loads(message.body)
            event_id = str(event["id"])
        except (ValueError, KeyError, TypeError):
            status(f"unreadable message {message.message_id}: dropped")
            await message.reject(requeue=False)
            return
        try:
            first_time = self.seen.handle_once(event_id, print_event, event)
        except Exception as exc:
            status(f"handling {event_id} failed ({exc!r}): requeued")
            await message.nack(requeue=True)
            return
        if not first_time:
            status(f"duplicate {event_id} skipped")
        await message.ack()

    async def connect(self) -> AbstractRobustConnection:
        """Connect, retrying while the broker is not there yet (the first attempt of
        `connect_robust` fails fast; once connected, it reconnects by itself)."""
        delay = 1.0
        while True:
            try:
                return await aio_pika.connect_robust(
                    self.config.amqp_url,
                    heartbeat=self.config.heartbeat,
                    reconnect_interval=2,
                    client_properties={"connection_name": f"subscriber {self.config.queue}"},
                )
            except (OSError, aio_pika.exceptions.AMQPConnectionError) as exc:
                status(f"broker unreachable ({exc!r}), retrying in {delay:.0f} s")
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)

    async def start(self) -> None:
        connection = await self.connect()
        self.connection = connection
        connection.close_callbacks.add(self.on_connection_lost)
        connection.reconnect_callbacks.add(lambda _conn: status("reconnected"))
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=self.config.prefetch)
        queue = await channel.declare_queue(
            self.config.queue, durable=True, arguments={"x-queue-type": "quorum"}
        )
        # Binding by name: no need to declare the platform's exchange (and a read-only user may
        # not). It fails with NOT_FOUND if the exchange does not exist yet.
        for key in self.config.routing_keys:
            await queue.bind(self.config.exchange, routing_key=key)
        await queue.consume(self.on_message)
        status(
            f"subscribed queue={self.config.queue} exchange={self.config.exchange} "
            f"keys={','.join(self.config.routing_keys)}"
        )

    def on_connection_lost(self, _connection: object, exc: BaseException | None) -> None:
        if not self.closing:
            status(f"connection lost ({exc!r}), reconnecting")

    async def close(self) -> None:
        self.closing = True
        if self.connection is not None:
            await self.connection.close()
        self.seen.close()


async def run(config: Config) -> None:
    subscriber = Subscriber(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await subscriber.start()
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=3600)
            subscriber.seen.prune()
    finally:
        await subscriber.close()
        status("stopped")


def parse_args(argv: Sequence[str] | None = None) -> Config:
    env = os.environ
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--amqp-url", default=env.get("VRAC_AMQP_URL", DEFAULT_URL))
    parser.add_argument("--queue", default=env.get("VRAC_QUEUE", "integrator.order-events"))
    parser.add_argument("--exchange", default=env.get("VRAC_EXCHANGE", DEFAULT_EXCHANGE))
    parser.add_argument(
        "--routing-keys",
        default=env.get("VRAC_ROUTING_KEYS", ",".join(DEFAULT_ROUTING_KEYS)),
        help="comma-separated binding keys (default ordering.#)",
    )
    parser.add_argument(
        "--dedup-db",
        type=Path,
        default=Path(env.get("VRAC_DEDUP_DB", "order-events-seen.sqlite3")),
        help="SQLite file of the event ids already handled",
    )
    parser.add_argument("--keep-days", type=float, default=30.0)
    args = parser.parse_args(argv)
    keys = tuple(k.strip() for k in args.routing_keys.split(",") if k.strip())
    if not keys:
        parser.error("at least one routing key")
    return Config(
        amqp_url=args.amqp_url,
        queue=args.queue,
        exchange=args.exchange,
        routing_keys=keys,
        dedup_db=args.dedup_db,
        keep_days=args.keep_days,
    )


def main(argv: Sequence[str] | None = None) -> None:
    asyncio.run(run(parse_args(argv)))


if __name__ == "__main__":
    main()
