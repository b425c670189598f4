"""RabbitMQ topology and the consumer loop (inbox-idempotent, retry with back-off, dead-letter)."""

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustConnection,
)
from aio_pika.exceptions import ChannelPreconditionFailed
from pydantic import BaseModel, ValidationError

from shared.contracts import UnknownEventType, contract_for
from shared.db import Connection, Database
from shared.envelope import CloudEvent
from shared.logging import get_logger
from shared.metrics import BROKER_CONNECTED, CONSUMER_ERRORS, CONSUMER_MESSAGES

log = get_logger(__name__)

RETRY_DELAYS_SECONDS = (1, 5, 30, 120)
DELIVERY_LIMIT = 10

# An event handler runs inside the consumer's transaction (the inbox row is in it too).
Handler = Callable[[Connection, CloudEvent, BaseModel], Awaitable[None]]


class PoisonMessage(Exception):
    """The message can never be handled: dead-letter it at once."""


UNROUTED_SUFFIX = ".unrouted"
# Parked events carry ids of people: kept as long as published outbox rows (7 days), no longer.
UNROUTED_RETENTION_MS = 7 * 24 * 3600 * 1000
UNROUTED_QUEUE_ARGUMENTS: dict[str, int] = {
    "x-message-ttl": UNROUTED_RETENTION_MS,
    "x-max-length": 1_000_000,
}


def events_exchange_arguments(name: str) -> dict[str, str]:
    """The arguments every declaration of the events exchange `name` must carry (RabbitMQ answers
    PRECONDITION_FAILED to a declaration with different ones). The AsyncAPI document is generated
    from this, so integrators declare exactly what the platform declares."""
    return {"alternate-exchange": name + UNROUTED_SUFFIX}


async def declare_events_exchange(channel: AbstractChannel, name: str) -> AbstractExchange:
    """The events exchange, with an alternate exchange that keeps events nobody subscribed to.

    With mandatory publishing an event without any bound queue would come back as NO_ROUTE and
    stay at the head of the outbox forever; the alternate exchange parks it instead (7 days), so
    a new event type without subscribers never blocks the ones behind it.
    Every declaration must use the same arguments: always declare through this function.
    """
    unrouted = await channel.declare_exchange(
        name + UNROUTED_SUFFIX, aio_pika.ExchangeType.FANOUT, durable=True
    )
    try:
        parking = await channel.declare_queue(
            name + UNROUTED_SUFFIX, durable=True, arguments=dict(UNROUTED_QUEUE_ARGUMENTS)
        )
    except ChannelPreconditionFailed:
        # Declared by an older release with other arguments (14 days): RabbitMQ closed the
        # channel. Use the queue as it is rather than stop publishing; the operator deletes it
        # (docs/operating.md) and the next declaration creates it with the current arguments.
        log.warning("parking_queue_arguments_differ", queue=name + UNROUTED_SUFFIX)
        await channel.reopen()
        parking = await channel.declare_queue(name + UNROUTED_SUFFIX, passive=True)
    await parking.bind(unrouted)
    return await channel.declare_exchange(
        name,
        aio_pika.ExchangeType.TOPIC,
        durable=True,
        arguments=dict(events_exchange_arguments(name).items()),
    )


@dataclass
class QueueNames:
    exchange: str
    queue: str

    @property
    def dead_letter_exchange(self) -> str:
        return f"{self.exchange}.dlx"

    @property
    def dead_letter_queue(self) -> str:
        return f"{self.queue}.dlq"

    def retry_queue(self, delay: int) -> str:
        return f"{self.queue}.retry.{delay}s"


async def declare_topology(
    channel: AbstractChannel, names: QueueNames, routing_keys: Sequence[str], prefetch: int = 32
) -> tuple[AbstractExchange, AbstractQueue]:
    exchange = await declare_events_exchange(channel, names.exchange)
    # After the exchange: its declaration may reopen the channel, which forgets the QoS.
    await channel.set_qos(prefetch_count=prefetch)
    dlx = await channel.declare_exchange(
        names.dead_letter_exchange, aio_pika.ExchangeType.DIRECT, durable=True
    )
    dlq = await channel.declare_queue(
        names.dead_letter_queue, durable=True, arguments={"x-queue-type": "quorum"}
    )
    await dlq.bind(dlx, routing_key=names.queue)
    queue = await channel.declare_queue(
        names.queue,
        durable=True,
        arguments={
            "x-queue-type": "quorum",
            "x-dead-letter-exchange": names.dead_letter_exchange,
            "x-dead-letter-routing-key": names.queue,
            "x-delivery-limit": DELIVERY_LIMIT,
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
        },
    )
    for key in routing_keys:
        await queue.bind(exchange, routing_key=key)
    for delay in RETRY_DELAYS_SECONDS:
        # Expired messages go back to the work queue through the default exchange.
        await channel.declare_queue(
            names.retry_queue(delay),
            durable=True,
            arguments={
                "x-message-ttl": delay * 1000,
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": names.queue,
            },
        )
    return exchange, queue


@dataclass
class Consumer:
    """Competing consumer of one service queue; handlers run inside the inbox transaction."""

    name: str
    db: Database
    amqp_url: str
    names: QueueNames
    handlers: dict[str, Handler]
    prefetch: int = 32
    _connection: AbstractRobustConnection | None = None
    _channel: AbstractChannel | None = None
    _consumer_tag: str | None = None
    _queue: AbstractQueue | None = None
    _in_flight: set[asyncio.Task[None]] = field(default_factory=set)
    _idle: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def connected(self) -> bool:
        """Live state of the robust connection (it reconnects by itself after a broker loss)."""
        return self._connection is not None and self._connection.connected.is_set()

    async def start(self) -> None:
        self._connection = await aio_pika.connect_robust(self.amqp_url, timeout=10)
        BROKER_CONNECTED.labels(self.name, "consumer").set_function(lambda: int(self.connected))
        self._channel = await self._connection.channel(publisher_confirms=True)
        _, self._queue = await declare_topology(
            self._channel, self.names, list(self.handlers), self.prefetch
        )
        self._consumer_tag = await self._queue.consume(self._on_message)
        log.info("consumer_started", consumer=self.name, queue=self.names.queue)

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Stop taking messages, finish the ones in hand, then close."""
        if self._queue is not None and self._consumer_tag is not None:
            with contextlib.suppress(Exception):
                await self._queue.cancel(self._consumer_tag)
        if self._in_flight:
            await asyncio.wait(self._in_flight, timeout=grace_seconds)
        if self._connection is not None:
            await self._connection.close()

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._in_flight.add(task)
        try:
            await self.handle(message)
        finally:
            if task is not None:
                self._in_flight.discard(task)

    async def handle(self, message: AbstractIncomingMessage) -> None:
        try:
            event, data = self._parse(message)
        except PoisonMessage as exc:
            CONSUMER_MESSAGES.labels(self.name, "dead_lettered").inc()
            log.error(
                "poison_message",
                consumer=self.name,
                reason=str(exc),
                message_id=message.message_id,
                routing_key=message.routing_key,
            )
            await message.reject(requeue=False)
            return
        handler = self.handlers[event.type]
        try:
            async with self.db.transaction() as conn:
                first_time = await conn.fetchval(
                    "INSERT INTO inbox (consumer, event_id) VALUES ($1, $2)"
                    " ON CONFLICT DO NOTHING RETURNING true",
                    self.name,
                    event.id,
                )
                if first_time:
                    await handler(conn, event, data)
        except PoisonMessage as exc:
            CONSUMER_MESSAGES.labels(self.name, "dead_lettered").inc()
            log.error("poison_message", consumer=self.name, event_id=str(event.id), reason=str(exc))
            await message.reject(requeue=False)
            return
        except Exception as exc:
            CONSUMER_ERRORS.labels(self.name).inc()
            await self._retry_later(message, event, exc)
            return
        CONSUMER_MESSAGES.labels(self.name, "handled" if first_time else "duplicate").inc()
        await message.ack()

    def _parse(self, message: AbstractIncomingMessage) -> tuple[CloudEvent, BaseModel]:
        try:
            event = CloudEvent.model_validate(json.loads(message.body))
            model = contract_for(event.type)
            if event.type not in self.handlers:
                raise PoisonMessage(f"no handler for {event.type}")
            return event, model.model_validate(event.data)
        except (ValueError, ValidationError, UnknownEventType, RecursionError) as exc:
            raise PoisonMessage(str(exc)) from exc

    async def _retry_later(
        self, message: AbstractIncomingMessage, event: CloudEvent, exc: Exception
    ) -> None:
        raw_attempt = (message.headers or {}).get("x-retry-attempt", 0)
        attempt = raw_attempt if isinstance(raw_attempt, int) else 0
        if attempt >= len(RETRY_DELAYS_SECONDS) or self._channel is None:
            log.error(
                "message_dead_lettered_after_retries",
                consumer=self.name,
                event_id=str(event.id),
                error=repr(exc),
                attempts=attempt,
            )
            CONSUMER_MESSAGES.labels(self.name, "dead_lettered").inc()
            await message.reject(requeue=False)
            return
        delay = RETRY_DELAYS_SECONDS[attempt]
        CONSUMER_MESSAGES.labels(self.name, "retried").inc()
        log.warning(
            "message_retry_scheduled",
            consumer=self.name,
            event_id=str(event.id),
            error=repr(exc),
            attempt=attempt + 1,
            delay_seconds=delay,
        )
        retry = aio_pika.Message(
            body=message.body,
            headers={**(message.headers or {}), "x-retry-attempt": attempt + 1},
            content_type=message.content_type,
            message_id=message.message_id,
            type=message.type,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        )
        try:
            # Bounded: on a stalled link an unconfirmed publish would hold the message forever.
            await self._channel.default_exchange.publish(
                retry, routing_key=self.names.retry_queue(delay), mandatory=True, timeout=10
            )
        except Exception:
            # Could not park it: hand it back so the broker redelivers (delivery-limit bounds it).
            await message.nack(requeue=True)
            return
        await message.ack()
