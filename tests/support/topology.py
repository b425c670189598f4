"""Removing what a test run or a benchmark declared on the broker under its own prefix."""

from typing import Any

from shared.amqp import UNROUTED_SUFFIX

SERVICES = ("accounts", "ordering", "logistics", "notifications", "web", "sink")
QUEUE_SUFFIXES = ("", ".dlq", ".retry.1s", ".retry.5s", ".retry.30s", ".retry.120s")


async def delete_event_topology(channel: Any, exchange: str) -> None:
    """Delete the events exchange `<prefix>vrac.events`, its dead-letter and unrouted exchanges,
    the unrouted parking queue and every service's queues under the same prefix, so that runs
    repeated on one broker (CI, benchmarks) leave nothing behind."""
    prefix = exchange.removesuffix("vrac.events")
    for suffix in ("", ".dlx", UNROUTED_SUFFIX):
        await channel.exchange_delete(exchange + suffix)
    # RabbitMQ treats deleting a missing queue or exchange as success.
    await channel.queue_delete(exchange + UNROUTED_SUFFIX)
    for service in SERVICES:
        for suffix in QUEUE_SUFFIXES:
            await channel.queue_delete(f"{prefix}{service}{suffix}")
