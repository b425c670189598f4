"""The order-close rush's data in the ordering schema: groups, catalog, one open distribution
per group, every member's 5-line cart and the stock; the bare SQL transaction a validation needs
(the reference rate); and the figures that say whether any stock was oversold."""

import asyncio
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import aiohttp
import asyncpg

from shared.auth import TokenIssuer
from tests.load.common import Answer, Request, send
from tests.load.infra import member_token

GROUPS = 3
PRODUCTS_PER_GROUP = 10
LINES = 5


@dataclass(frozen=True)
class Group:
    id: uuid.UUID
    distribution: uuid.UUID  # its open distribution
    products: list[uuid.UUID]


@dataclass(frozen=True)
class RushData:
    groups: list[Group]
    people: list[tuple[Group, uuid.UUID]]  # each member's group and user id, cart filled
    stock: dict[uuid.UUID, Decimal]  # initial stock of the stocked products


@dataclass(frozen=True)
class StockFigures:
    """What the database holds after a rush: orders and debits (one each per validation), units
    sold beyond the stock, stock rows where initial != left + sold, stock rows below 0."""

    orders: int
    debits: int
    oversold: Decimal
    inconsistent: int
    negative: int

    def healthy(self, created: int) -> bool:
        return (
            self.oversold == 0
            and self.inconsistent == 0
            and self.negative == 0
            and self.orders == self.debits == created
        )

    def line(self) -> str:
        return (
            f"orders {self.orders}, ledger debits {self.debits}, oversold units {self.oversold},"
            f" stock rows inconsistent {self.inconsistent}, negative stock rows {self.negative}"
        )


async def setup_data(
    conn: asyncpg.Connection, members: int, stocked: int, scarce: bool = True
) -> RushData:
    """Groups, catalog, one open distribution per group, and every member's 5-line cart."""
    rng = random.Random(42)
    now = datetime.now(UTC)
    groups: list[Group] = []
    for _ in range(GROUPS):
        group_id, dist_id = uuid.uuid4(), uuid.uuid4()
        products = [uuid.uuid4() for _ in range(PRODUCTS_PER_GROUP)]
        groups.append(Group(group_id, dist_id, products))
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
    people: list[tuple[Group, uuid.UUID]] = []
    cart: list[tuple[uuid.UUID, uuid.UUID, uuid.UUID, Decimal]] = []
    demand: dict[uuid.UUID, Decimal] = {}
    for n in range(members):
        group = groups[n % GROUPS]
        user = uuid.uuid4()
        people.append((group, user))
        for product_id in rng.sample(group.products, LINES):
            index = group.products.index(product_id)
            qty = (
                Decimal(rng.choice(["0.5", "0.25", "1.2"]))
                if index % 2
                else Decimal(rng.randint(1, 3))
            )
            cart.append((group.distribution, user, product_id, qty))
            demand[product_id] = demand.get(product_id, Decimal(0)) + qty
    await conn.copy_records_to_table(
        "cart_lines", records=cart, columns=["distribution_id", "user_id", "product_id", "quantity"]
    )
    # Stock on the first `stocked` products of each group (the others are unlimited, as most of
    # the demo catalog): 90 % of the demand for the first one when `scarce` (some validations
    # must be refused, none may oversell), plenty for the others.
    stock: dict[uuid.UUID, Decimal] = {}
    for group in groups:
        for i, product_id in enumerate(group.products[:stocked]):
            wanted = demand.get(product_id, Decimal(0))
            stock[product_id] = (
                (wanted * Decimal("0.9")).quantize(Decimal(1))
                if i == 0 and scarce
                else (wanted + 100)
            )
            await conn.execute(
                "UPDATE products SET stock = $2 WHERE id = $1", product_id, stock[product_id]
            )
    return RushData(groups, people, stock)


async def bare_sql_rate(
    dsn: str, groups: list[Group], transactions: int, connections: int = 16
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
        work.append((group, sorted(rng.sample(group.products, LINES))))
    queue: asyncio.Queue[tuple[Group, list[uuid.UUID]]] = asyncio.Queue()
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
                        group.distribution,
                        group.id,
                        user,
                        products,
                    )
                    await conn.execute(
                        "INSERT INTO ledger_entries (entry_id, group_id, user_id, kind,"
                        " amount_cents, order_id) VALUES (gen_random_uuid(), $1, $2, 'order',"
                        " -1000, $3)",
                        group.id,
                        user,
                        order_id,
                    )
                    await conn.execute(
                        "INSERT INTO outbox (event_id, routing_key, body) VALUES"
                        " (gen_random_uuid(), 'bench.bare', '{}'::jsonb)"
                    )
                    await conn.execute(
                        "DELETE FROM cart_lines WHERE distribution_id = $1 AND user_id = $2",
                        group.distribution,
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


async def stock_figures(conn: asyncpg.Connection, data: RushData) -> StockFigures:
    final = {r["id"]: r["stock"] for r in await conn.fetch("SELECT id, stock FROM products")}
    sold = {
        r["product_id"]: r["q"]
        for r in await conn.fetch(
            "SELECT product_id, sum(quantity) AS q FROM order_lines GROUP BY product_id"
        )
        if r["product_id"] in data.stock
    }
    rush_groups = [g.id for g in data.groups]
    return StockFigures(
        orders=await conn.fetchval(
            "SELECT count(*) FROM orders WHERE group_id = ANY($1)", rush_groups
        ),
        debits=await conn.fetchval(
            "SELECT count(*) FROM ledger_entries WHERE group_id = ANY($1)", rush_groups
        ),
        oversold=sum(
            (
                max(Decimal(0), sold.get(p, Decimal(0)) - initial)
                for p, initial in data.stock.items()
            ),
            Decimal(0),
        ),
        inconsistent=sum(
            1 for p, initial in data.stock.items() if initial != final[p] + sold.get(p, Decimal(0))
        ),
        negative=sum(1 for v in final.values() if v is not None and v < 0),
    )


def validation_request(
    session: aiohttp.ClientSession,
    base_url: str,
    issuer: TokenIssuer,
    people: list[tuple[Group, uuid.UUID]],
    key_prefix: str = "rush",
    on_answer: Callable[[Answer], None] | None = None,
) -> Request:
    """The i-th member validates their cart (pay on site), with an Idempotency-Key;
    `on_answer` sees each answer as it arrives."""
    tokens = [member_token(issuer, group.id, user) for group, user in people]

    async def validate(index: int) -> int:
        group = people[index][0]
        url = f"{base_url}/v1/groups/{group.id}/distributions/{group.distribution}/order/validate"
        headers = {
            "Authorization": f"Bearer {tokens[index]}",
            "Idempotency-Key": f"{key_prefix}-{index}",
        }
        answer = await send(
            session, "POST", url, json={"payment_method": "on_site"}, headers=headers
        )
        if on_answer is not None:
            on_answer(answer)
        return answer.status

    return validate
