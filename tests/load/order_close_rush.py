"""Order-close rush: N members validate a 5-line order through the HTTP API of a real running
ordering process; prints orders/s, latency percentiles, errors, oversold units, and the rate of
the bare SQL transaction an order validation needs, measured in the same run on the same database.

    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
    TEST_AMQP_URL=amqp://guest:guest@127.0.0.1:5672/ \
    .venv/bin/python -m tests.load.order_close_rush [--members 2000] [--concurrency 64]

A script, not a test (pytest does not collect it: no test_ prefix, work under __main__).
"""

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import aio_pika
import aiohttp
import asyncpg
from aiohttp import web

from shared.amqp import declare_events_exchange
from shared.auth import TokenIssuer
from tests.support.processes import free_port, start_service, wait_healthy
from tests.support.topology import delete_event_topology

GROUPS = 3
PRODUCTS_PER_GROUP = 10
LINES = 5
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def serve_jwks(issuer: TokenIssuer, port: int) -> web.AppRunner:
    app = web.Application()

    async def jwks(_: web.Request) -> web.Response:
        return web.json_response(issuer.jwks())

    app.router.add_get("/.well-known/jwks.json", jwks)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


async def setup_data(conn: asyncpg.Connection, members: int, stocked: int) -> dict[str, Any]:
    """Groups, catalog, one open distribution per group, and every member's 5-line cart."""
    rng = random.Random(42)
    now = datetime.now(UTC)
    groups: list[dict[str, Any]] = []
    for _ in range(GROUPS):
        group_id, dist_id = uuid.uuid4(), uuid.uuid4()
        products = [uuid.uuid4() for _ in range(PRODUCTS_PER_GROUP)]
        groups.append({"id": group_id, "distribution": dist_id, "products": products})
        for i, product_id in enumerate(products):
            bulk = i % 2 == 1
            await conn.execute(
                "INSERT INTO products (id, group_id, name, category, unit_label,"
                " unit_price_cents, bulk, stock) VALUES ($1, $2, $3, 'Autres', $4, $5, $6, $7)",
                product_id,
                group_id,
                f"Produit {i}",
                "kg" if bulk else "1 pièce",
                100 + 37 * i,
                bulk,
                None,
            )
        await conn.execute(
            "INSERT INTO distributions (id, group_id, starts_at, ends_at, opens_at, closes_at,"
            " place_name, place_address) VALUES ($1, $2, $3, $4, $5, $6, 'Centre social', 'x')",
            dist_id,
            group_id,
            now + timedelta(days=2),
            now + timedelta(days=2, hours=7),
            now - timedelta(hours=1),
            now + timedelta(days=1),
        )
        await conn.execute(
            "INSERT INTO distribution_products SELECT $1, p, 100 + 37 * i"
            " FROM unnest($2::uuid[]) WITH ORDINALITY AS x(p, i)",
            dist_id,
            products,
        )
    people: list[tuple[dict[str, Any], uuid.UUID]] = []
    cart: list[tuple[uuid.UUID, uuid.UUID, uuid.UUID, Decimal]] = []
    demand: dict[uuid.UUID, Decimal] = {}
    for n in range(members):
        group = groups[n % GROUPS]
        user = uuid.uuid4()
        people.append((group, user))
        for product_id in rng.sample(group["products"], LINES):
            index = group["products"].index(product_id)
            qty = (
                Decimal(rng.choice(["0.5", "0.25", "1.2"]))
                if index % 2
                else Decimal(rng.randint(1, 3))
            )
            cart.append((group["distribution"], user, product_id, qty))
            demand[product_id] = demand.get(product_id, Decimal(0)) + qty
    await conn.copy_records_to_table(
        "cart_lines", records=cart, columns=["distribution_id", "user_id", "product_id", "quantity"]
    )
    # Stock on the first `stocked` products of each group (the others are unlimited, as most of
    # the demo catalog): 90 % of the demand for the first one (scarce: some validations must be
    # refused, none may oversell), plenty for the others.
    stock: dict[uuid.UUID, Decimal] = {}
    for group in groups:
        for i, product_id in enumerate(group["products"][:stocked]):
            wanted = demand.get(product_id, Decimal(0))
            stock[product_id] = (
                (wanted * Decimal("0.9")).quantize(Decimal(1)) if i == 0 else (wanted + 100)
            )
            await conn.execute(
                "UPDATE products SET stock = $2 WHERE id = $1", product_id, stock[product_id]
            )
    return {"groups": groups, "people": people, "stock": stock}


async def rush(
    base_url: str,
    issuer: TokenIssuer,
    people: list[tuple[dict[str, Any], uuid.UUID]],
    concurrency: int,
) -> dict[str, Any]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    gate = asyncio.Semaphore(concurrency)
    tokens = [
        issuer.issue(user, {str(group["id"]): "member"}, lifetime=3600) for group, user in people
    ]
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(index: int) -> None:
            group, _ = people[index]
            url = (
                f"{base_url}/v1/groups/{group['id']}/distributions/{group['distribution']}"
                "/order/validate"
            )
            headers = {
                "Authorization": f"Bearer {tokens[index]}",
                "Idempotency-Key": f"rush-{index}",
            }
            async with gate:
                started = time.perf_counter()
                try:
                    async with session.post(
                        url, json={"payment_method": "on_site"}, headers=headers
                    ) as resp:
                        await resp.read()
                        status = resp.status
                except aiohttp.ClientError:
                    status = 0
                latencies.append(time.perf_counter() - started)
                statuses[status] = statuses.get(status, 0) + 1

        began = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(len(people))))
        elapsed = time.perf_counter() - began
    return {"elapsed": elapsed, "latencies": latencies, "statuses": statuses}


async def bare_sql_rate(
    dsn: str, groups: list[dict[str, Any]], transactions: int, connections: int = 16
) -> float:
    """The validation's SQL without HTTP or Python logic, in one transaction: insert order + 5
    lines in one statement, ledger debit, outbox row, clear the cart, then lock the 5 stock rows
    (id order) and move the stock."""
    pool = await asyncpg.create_pool(
        dsn, min_size=connections, max_size=connections, server_settings={"search_path": "ordering"}
    )
    assert pool is not None
    rng = random.Random(7)
    work = []
    for n in range(transactions):
        group = groups[n % GROUPS]
        work.append((group, sorted(rng.sample(group["products"], LINES))))
    queue: asyncio.Queue[tuple[dict[str, Any], list[uuid.UUID]]] = asyncio.Queue()
    for item in work:
        queue.put_nowait(item)

    async def worker() -> None:
        async with pool.acquire() as conn:
            while not queue.empty():
                group, products = queue.get_nowait()
                user, order_id = uuid.uuid4(), uuid.uuid4()
                async with conn.transaction():
                    await conn.execute(
                        "WITH o AS (INSERT INTO orders (id, distribution_id, group_id, user_id,"
                        " total_cents) VALUES ($1, $2, $3, $4, 1000) RETURNING id)"
                        " INSERT INTO order_lines SELECT o.id, p, 'Produit', 'Autres', 'kg',"
                        " true, 1, 200, 200 FROM o, unnest($5::uuid[]) AS p",
                        order_id,
                        group["distribution"],
                        group["id"],
                        user,
                        products,
                    )
                    await conn.execute(
                        "INSERT INTO ledger_entries (entry_id, group_id, user_id, kind,"
                        " amount_cents, order_id) VALUES (gen_random_uuid(), $1, $2, 'order',"
                        " -1000, $3)",
                        group["id"],
                        user,
                        order_id,
                    )
                    await conn.execute(
                        "INSERT INTO outbox (event_id, routing_key, body) VALUES"
                        " (gen_random_uuid(), 'bench.bare', '{}'::jsonb)"
                    )
                    await conn.execute(
                        "DELETE FROM cart_lines WHERE distribution_id = $1 AND user_id = $2",
                        group["distribution"],
                        user,
                    )
                    # Stock last, as the service does: hot rows held until commit only.
                    await conn.fetch(
                        "SELECT id, stock FROM products WHERE id = ANY($1::uuid[])"
                        " AND stock IS NOT NULL ORDER BY id FOR NO KEY UPDATE",
                        products,
                    )
                    await conn.execute(
                        "UPDATE products p SET stock = p.stock + 0 FROM unnest($1::uuid[]) x(id)"
                        " WHERE p.id = x.id AND p.stock IS NOT NULL",
                        products,
                    )

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    elapsed = time.perf_counter() - began
    # Do not leave the bare rows for the relay to publish.
    await pool.execute("DELETE FROM outbox WHERE routing_key = 'bench.bare'")
    await pool.close()
    return transactions / elapsed


async def main(members: int, concurrency: int, stocked: int) -> int:
    admin_url = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    amqp_url = os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
    name = f"vrac_rush_{uuid.uuid4().hex[:8]}"
    dsn = admin_url.rpartition("/")[0] + f"/{name}"
    exchange_name = f"rush{uuid.uuid4().hex[:6]}.vrac.events"
    admin = await asyncpg.connect(admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    issuer = TokenIssuer.generate()
    jwks_port, app_port = free_port(), free_port()
    jwks = await serve_jwks(issuer, jwks_port)
    broker = await aio_pika.connect(amqp_url)
    channel = await broker.channel()
    exchange = await declare_events_exchange(channel, exchange_name)
    sink = await channel.declare_queue(exclusive=True)
    await sink.bind(exchange, routing_key="#")
    env = {
        **os.environ,
        "ORDERING_DATABASE_URL": dsn,
        "ORDERING_AMQP_URL": amqp_url,
        "ORDERING_EVENTS_EXCHANGE": exchange_name,
        "ORDERING_PORT": str(app_port),
        "ORDERING_ACCOUNTS_URL": f"http://127.0.0.1:{jwks_port}",
        "ORDERING_LOG_LEVEL": "WARNING",
    }
    process = await start_service("ordering", env)
    base_url = f"http://127.0.0.1:{app_port}"
    try:
        await wait_healthy(base_url, seconds=20, probe="/readyz")
        conn = await asyncpg.connect(dsn, server_settings={"search_path": "ordering"})
        bare_data = await setup_data(conn, 0, stocked)
        bare = await bare_sql_rate(dsn, bare_data["groups"], transactions=max(members, 2000))
        data = await setup_data(conn, members, stocked)
        print(
            f"members={members} groups={GROUPS} lines/order={LINES} "
            f"client concurrency={concurrency} stocked products/group={stocked}"
        )
        result = await rush(base_url, issuer, data["people"], concurrency)
        final = {r["id"]: r["stock"] for r in await conn.fetch("SELECT id, stock FROM products")}
        sold = {
            r["product_id"]: r["q"]
            for r in await conn.fetch(
                "SELECT product_id, sum(quantity) AS q FROM order_lines GROUP BY product_id"
            )
            if r["product_id"] in data["stock"]
        }
        oversold = sum(
            max(Decimal(0), sold.get(p, Decimal(0)) - initial)
            for p, initial in data["stock"].items()
        )
        inconsistent = sum(
            1
            for p, initial in data["stock"].items()
            if initial != final[p] + sold.get(p, Decimal(0))
        )
        negative = sum(1 for v in final.values() if v is not None and v < 0)
        rush_groups = [g["id"] for g in data["groups"]]
        orders = await conn.fetchval(
            "SELECT count(*) FROM orders WHERE group_id = ANY($1)", rush_groups
        )
        debits = await conn.fetchval(
            "SELECT count(*) FROM ledger_entries WHERE group_id = ANY($1)", rush_groups
        )
        await conn.close()
        statuses = result["statuses"]
        ok = statuses.get(201, 0)
        refused = statuses.get(409, 0)
        errors = sum(n for s, n in statuses.items() if s not in (201, 409))
        lat = [x * 1000 for x in result["latencies"]]
        http_rate = len(lat) / result["elapsed"]
        print(
            f"HTTP: {len(lat)} validations in {result['elapsed']:.2f}s = {http_rate:.0f}/s"
            f" (created {ok}, refused out-of-stock {refused}, errors {errors};"
            f" statuses {dict(sorted(statuses.items()))})"
        )
        print(
            f"latency ms: p50 {percentile(lat, 50):.1f}  p95 {percentile(lat, 95):.1f}"
            f"  p99 {percentile(lat, 99):.1f}  mean {statistics.fmean(lat):.1f}"
        )
        print(
            f"orders {orders}, ledger debits {debits}, oversold units {oversold},"
            f" stock rows inconsistent {inconsistent}, negative stock rows {negative}"
        )
        print(
            f"bare SQL validation transaction (measured first, same database): {bare:.0f} tx/s"
            " (16 connections)"
        )
        print(f"HTTP / bare SQL = {100 * http_rate / bare:.0f} %")
        healthy = (
            errors == 0
            and oversold == 0
            and inconsistent == 0
            and negative == 0
            and (orders == debits == ok)
        )
        return 0 if healthy else 1
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 15)
        await sink.delete(if_unused=False, if_empty=False)
        await delete_event_topology(channel, exchange_name)
        await broker.close()
        await jwks.cleanup()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument(
        "--stocked",
        type=int,
        default=3,
        choices=range(1, PRODUCTS_PER_GROUP + 1),
        help="products per group with a limited stock (the rest unlimited)",
    )
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.members, args.concurrency, args.stocked)))
