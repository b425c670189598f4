"""Slot-opening rush: 1,000 members book within seconds across 28 slots of 8 (224 places).

Run: `python -m tests.load.slot_opening_rush` (uses TEST_DATABASE_URL / TEST_AMQP_URL).
Starts the logistics service as a real process (`python -m services.logistics api`) on a fresh
database, drives it over HTTP, and prints bookings/s, latency p50/p99, accepted (must be 224),
and the bare-SQL rate of one booking transaction measured in the same run.
"""

import asyncio
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import aio_pika
import aiohttp
import asyncpg
from aiohttp import web

from services.logistics import repository
from shared.amqp import declare_events_exchange
from shared.auth import TokenIssuer
from shared.db import create_pool
from shared.migrations import migrate
from tests.integration.logistics.conftest import window
from tests.support.processes import free_port, wait_healthy
from tests.support.topology import delete_event_topology

ROOT = Path(__file__).resolve().parents[2]
MEMBERS = 1000
SLOT_CAPACITY = 8
BARE_SQL_BOOKINGS = 3000


def with_database(url: str, name: str) -> str:
    return f"{url.rpartition('/')[0]}/{name}"


async def serve_jwks(issuer: TokenIssuer, port: int) -> web.AppRunner:
    """Stands in for accounts' JWKS endpoint so the service verifies our tokens."""
    app = web.Application()

    async def jwks(_request: web.Request) -> web.Response:
        return web.json_response(issuer.jwks())

    app.router.add_get("/.well-known/jwks.json", jwks)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


async def bare_sql_rate(pool: asyncpg.Pool, distribution_id: uuid.UUID) -> float:
    """The booking transaction alone (insert booking, conditional increment, outbox row),
    16 connections, no HTTP and no Python service layer."""
    slots = [
        r["id"]
        for r in await pool.fetch(
            "SELECT id FROM slots WHERE distribution_id = $1", distribution_id
        )
    ]
    gate = asyncio.Semaphore(16)

    async def one(i: int) -> None:
        async with gate, pool.acquire() as conn, conn.transaction():
            slot = slots[i % len(slots)]
            await conn.execute(
                "INSERT INTO bookings (distribution_id, user_id, slot_id) VALUES ($1, $2, $3)"
                " ON CONFLICT DO NOTHING",
                distribution_id,
                uuid.uuid4(),
                slot,
            )
            await conn.fetchval(
                "UPDATE slots SET booked = booked + 1 WHERE id = $1 AND booked < capacity"
                " RETURNING booked",
                slot,
            )
            await conn.execute(
                "INSERT INTO outbox (event_id, routing_key, body) VALUES ($1, $2, $3)",
                uuid.uuid4(),
                "bench.slot.booked",
                {"slot_id": str(slot)},
            )

    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(BARE_SQL_BOOKINGS)))
    return BARE_SQL_BOOKINGS / (time.perf_counter() - started)


async def rush(
    base_url: str, issuer: TokenIssuer, group_id: uuid.UUID, distribution_id: uuid.UUID
) -> dict[str, Any]:
    path = f"{base_url}/v1/groups/{group_id}/distributions/{distribution_id}"
    tokens = [issuer.issue(uuid.uuid4(), {str(group_id): "member"}) for _ in range(MEMBERS)]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    accepted = 0
    connector = aiohttp.TCPConnector(limit=200)
    async with aiohttp.ClientSession(connector=connector) as session:
        headers0 = {"Authorization": f"Bearer {tokens[0]}"}
        async with session.get(path + "/slots", headers=headers0) as resp:
            slot_list = [s["slot_id"] for s in (await resp.json())["slots"]]
        rng = random.Random(42)

        async def member(token: str) -> None:
            nonlocal accepted
            headers = {"Authorization": f"Bearer {token}"}
            # Most want the first hour; on « complet » they look again and pick a free one.
            wanted = slot_list[min(int(rng.expovariate(1 / 6)), len(slot_list) - 1)]
            while wanted is not None:
                t0 = time.perf_counter()
                async with session.post(
                    path + "/booking", json={"slot_id": wanted}, headers=headers
                ) as resp:
                    await resp.read()
                    latencies.append(time.perf_counter() - t0)
                    statuses[resp.status] = statuses.get(resp.status, 0) + 1
                    if resp.status == 201:
                        accepted += 1
                        return
                    if resp.status != 409:
                        return
                async with session.get(path + "/slots", headers=headers) as resp:
                    free = [s["slot_id"] for s in (await resp.json())["slots"] if not s["full"]]
                wanted = rng.choice(free) if free else None

        started = time.perf_counter()
        await asyncio.gather(*(member(t) for t in tokens))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "elapsed": elapsed,
        "posts": len(latencies),
        "accepted": accepted,
        "statuses": statuses,
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[int(len(latencies) * 0.99) - 1] * 1000,
    }


async def main() -> int:
    admin_url = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    amqp_url = os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
    name = f"vrac_bench_{uuid.uuid4().hex[:10]}"
    exchange_name = f"bench{uuid.uuid4().hex[:8]}.vrac.events"
    database_url = with_database(admin_url, name)
    admin = await asyncpg.connect(admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    issuer = TokenIssuer.generate()
    jwks_port, port = free_port(), free_port()
    jwks = await serve_jwks(issuer, jwks_port)
    amqp = await aio_pika.connect(amqp_url)
    channel = await amqp.channel()
    exchange = await declare_events_exchange(channel, exchange_name)
    sink = await channel.declare_queue(f"{exchange_name}.sink", auto_delete=False)
    await sink.bind(exchange, "#")  # an integrator, so the relay's events are routed
    process: subprocess.Popen[bytes] | None = None
    try:
        await migrate(database_url, "logistics", ROOT / "services" / "logistics")
        pool = await create_pool(database_url, "logistics", 2, 16)
        group_id = uuid.uuid4()
        rush_dist, sql_dist = uuid.uuid4(), uuid.uuid4()
        async with pool.acquire() as conn:
            for dist, cap in ((rush_dist, SLOT_CAPACITY), (sql_dist, 500)):
                await repository.upsert_distribution(
                    conn,
                    distribution_id=dist,
                    group_id=group_id,
                    state="open",
                    default_capacity=cap,
                    slot_minutes=15,
                    **window(),
                )
        env = {
            **os.environ,
            "LOGISTICS_DATABASE_URL": database_url,
            "LOGISTICS_AMQP_URL": amqp_url,
            "LOGISTICS_EVENTS_EXCHANGE": exchange_name,
            "LOGISTICS_PORT": str(port),
            "LOGISTICS_LOG_LEVEL": "WARNING",
            "LOGISTICS_ACCOUNTS_URL": f"http://127.0.0.1:{jwks_port}",
        }
        process = subprocess.Popen(  # noqa: ASYNC220
            [sys.executable, "-m", "services.logistics", "all"], cwd=ROOT, env=env
        )
        base_url = f"http://127.0.0.1:{port}"
        await wait_healthy(base_url, seconds=10, probe="/readyz")
        result = await rush(base_url, issuer, group_id, rush_dist)
        sql_rate = await bare_sql_rate(pool, sql_dist)
        booked = await pool.fetchval(
            "SELECT sum(booked) FROM slots WHERE distribution_id = $1", rush_dist
        )
        rows = await pool.fetchval(
            "SELECT count(*) FROM bookings WHERE distribution_id = $1", rush_dist
        )
        over = await pool.fetchval("SELECT count(*) FROM slots WHERE booked > capacity")
        await pool.close()
    finally:
        if process is not None:
            process.terminate()
            await asyncio.to_thread(process.wait, 15)
        await jwks.cleanup()
        await sink.delete(if_unused=False, if_empty=False)
        await delete_event_topology(channel, exchange_name)
        await amqp.close()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    places = 28 * SLOT_CAPACITY
    print(f"members: {MEMBERS}, places: {places} (28 slots x {SLOT_CAPACITY})")
    print(
        f"rush: {result['posts']} booking requests in {result['elapsed']:.2f} s"
        f" = {result['posts'] / result['elapsed']:.0f} bookings/s (requests),"
        f" {result['accepted'] / result['elapsed']:.0f} accepted/s"
    )
    print(f"latency per booking request: p50 {result['p50']:.1f} ms, p99 {result['p99']:.1f} ms")
    print(f"statuses: {dict(sorted(result['statuses'].items()))}")
    print(
        f"accepted: {result['accepted']} (database: booked {booked}, rows {rows},"
        f" overbooked slots {over})"
    )
    print(
        f"bare SQL booking transaction: {sql_rate:.0f} tx/s (16 connections,"
        f" {BARE_SQL_BOOKINGS} bookings)"
    )
    ok = (
        result["accepted"] == places == booked == rows
        and over == 0
        and all(s in (201, 409) for s in result["statuses"])
    )
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
