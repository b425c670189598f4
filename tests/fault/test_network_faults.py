"""Network cut, stalled and slowed between the services and the broker (issue 11, fault 4).

Every service is a real process whose broker connections go through a TCP proxy the test
controls (tests.support.tcp_proxy) in front of a RabbitMQ node of its own. For
FAULT_NETWORK_SECONDS (default 40) the link cycles: up, cut (connections reset, new ones
refused), up, slowed (each chunk delayed), stalled (open but silent), while validations go
through ordering's HTTP API at a steady pace. Printed: the longest HTTP call and the longest
time a validation's event waited in the outbox; asserted: every call answered 2xx, every event
reached an integrator's queue (lost 0) and no effect was applied twice."""

import asyncio
import os
import time
import uuid
from pathlib import Path

import asyncpg

from tests.fault.conftest import PLATFORM, running_platform
from tests.fault.validation_burst import (
    VALIDATED,
    answer_counts,
    burst,
    declare_subscribers,
    drain_ids,
    unlimited_stock_data,
    validation_effects,
)
from tests.load.common import percentile
from tests.support.rabbitmq_node import RabbitNode
from tests.support.tcp_proxy import TcpProxy

NETWORK_SECONDS = float(os.environ.get("FAULT_NETWORK_SECONDS", "40"))
VALIDATIONS = int(os.environ.get("FAULT_NETWORK_VALIDATIONS", "600"))
SLOW_SECONDS = 0.3  # per chunk, each way
# (mode, seconds): one cycle of the link's weather.
CYCLE = (("up", 3.0), ("cut", 3.0), ("up", 3.0), ("slow", 4.0), ("stall", 4.0))


async def weather(proxy: TcpProxy, seconds: float, log: list[str]) -> None:
    """Cycle the link until `seconds` have passed, then leave it up."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for mode, length in CYCLE:
            if mode == "cut":
                await proxy.cut()
            elif mode == "slow":
                await proxy.slow(SLOW_SECONDS)
            elif mode == "stall":
                proxy.stall()
            else:
                await proxy.resume()
            log.append(mode)
            await asyncio.sleep(min(length, max(0.0, end - time.monotonic())))
            if time.monotonic() >= end:
                break
    await proxy.resume()


async def test_network_cut_and_slowed_hangs_nothing_and_loses_nothing(
    rabbit_node: RabbitNode, database_url: str, tmp_path: Path
) -> None:
    node = rabbit_node
    exchange = f"n{uuid.uuid4().hex[:8]}.vrac.events"
    integrator, _ = await declare_subscribers(node.url, exchange)
    data = await unlimited_stock_data(database_url, VALIDATIONS)
    proxy = TcpProxy("127.0.0.1", node.port)
    await proxy.start()
    via_proxy = f"amqp://guest:guest@127.0.0.1:{proxy.port}/"
    amqp_urls = dict.fromkeys(PLATFORM, via_proxy)
    modes: list[str] = []
    try:
        async with running_platform(
            database_url, amqp_urls, exchange, tmp_path / "logs"
        ) as platform:
            rate = VALIDATIONS / NETWORK_SECONDS
            print(
                f"\nnetwork faults for {NETWORK_SECONDS:.0f} s (FAULT_NETWORK_SECONDS),"
                f" cycle {CYCLE}; {VALIDATIONS} validations at {rate:.0f}/s"
            )
            calls, _ = await asyncio.gather(
                burst(platform.urls["ordering"], platform, data.people, rate),
                weather(proxy, NETWORK_SECONDS, modes),
            )
            ids = await drain_ids(node.url, integrator, VALIDATIONS, seconds=90)
            db = await asyncpg.connect(database_url)
            try:
                waited = await db.fetchval(
                    "SELECT extract(epoch FROM max(published_at - created_at))"
                    " FROM ordering.outbox WHERE routing_key = $1",
                    VALIDATED,
                )
                unpublished = await db.fetchval(
                    "SELECT count(*) FROM ordering.outbox WHERE published_at IS NULL"
                )
                effects = await validation_effects(db, data, ids, VALIDATIONS)
            finally:
                await db.close()
    finally:
        await proxy.stop()
    statuses, http_failed = answer_counts(calls)
    latencies = [c.seconds * 1000 for c in calls]
    print(
        f"FAULT network_faults: lost={effects.lost} duplicated={effects.duplicated}"
        f" transport_duplicates={effects.transport_duplicates} http_failed={http_failed}"
        f" validations={VALIDATIONS} seconds={NETWORK_SECONDS:.0f} link_changes={len(modes)}"
        f" proxy_connections={proxy.connections_accepted}"
        f" http_max_ms={max(latencies):.0f} http_p50_ms={percentile(latencies, 50):.1f}"
        f" event_max_wait_s={float(waited or 0):.1f} unpublished={unpublished}"
        f" statuses={dict(sorted(statuses.items()))}"
    )
    assert effects.lost == 0
    assert effects.duplicated == 0
    assert http_failed == 0, statuses
    assert unpublished == 0
