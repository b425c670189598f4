"""Slot-opening rush: 1,000 members book within seconds across 28 slots of 8 (224 places).

Run: `python -m tests.load.slot_opening_rush` (uses TEST_DATABASE_URL / TEST_AMQP_URL).
Starts the logistics service as a real process (`python -m services.logistics all`) on a fresh
database, drives it over HTTP, and prints bookings/s, latency p50/p99, accepted (must be 224),
and the bare-SQL rate of one booking transaction measured in the same run.

Burst (default): every member at once; one told « complet » looks at the slots again and picks a
free one. `--rate R`: open loop, a new member arriving R times per second for `--duration` seconds
(or `--requests` members), who books as in the burst; each member's latency runs from the
scheduled arrival to the settled booking (booked, or told no slot is left). `--replicas N`: N
`api` processes and a `worker` behind HAProxy (tests/load/replicas.py); `--profile PATH`: py-spy
on each logistics process during the bookings (tests/load/profiling.py).
"""

import asyncio
import random
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import asyncpg

from services.logistics import repository
from shared.auth import TokenIssuer
from shared.db import create_pool
from tests.integration.logistics.conftest import window
from tests.load.common import (
    Run,
    RushResult,
    open_loop,
    script_parser,
    send,
    verdict,
)
from tests.load.infra import (
    Infra,
    event_topology,
    fresh_database,
    jwks_stand_in,
    member_token,
    service_env,
)
from tests.load.profiling import profiled
from tests.load.replicas import add_rush_options, describe, rush_main, serving

MEMBERS = 1000
SLOTS = 28  # the window of tests.integration.logistics.conftest.window(), 15 minutes each
SLOT_CAPACITY = 8
BARE_SQL_BOOKINGS = 3000
BOOKED, REFUSED = 201, 409


@dataclass(frozen=True)
class SlotRushResult(RushResult):
    """`run`'s statuses: every booking request (a member told « complet » sends another); its
    latencies: each request (burst), or each member from the scheduled arrival to the settled
    booking (open loop)."""

    accepted: int
    booked: int  # the database: sum of the slots' counters
    rows: int  # the database: booking rows
    overbooked: int  # slots with more bookings than places
    bare_bookings: int = BARE_SQL_BOOKINGS

    @property
    def places(self) -> int:
        return SLOTS * SLOT_CAPACITY

    @property
    def healthy(self) -> bool:
        return (
            self.accepted == self.places == self.booked == self.rows
            and self.overbooked == 0
            and self.run.errors(BOOKED, REFUSED) == 0
        )


async def bare_sql_rate(
    pool: asyncpg.Pool, distribution_id: uuid.UUID, bookings: int = BARE_SQL_BOOKINGS
) -> float:
    """The booking transaction alone (insert booking, conditional increment, outbox row), on
    the pool's connections (16), no HTTP and no Python service layer."""
    slots = [
        r["id"]
        for r in await pool.fetch(
            "SELECT id FROM slots WHERE distribution_id = $1", distribution_id
        )
    ]
    gate = asyncio.Semaphore(pool.get_max_size())

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
    await asyncio.gather(*(one(i) for i in range(bookings)))
    return bookings / (time.perf_counter() - started)


class Members:
    """The members of one rush: their tokens, the slots they see, and their booking requests."""

    def __init__(self, session: aiohttp.ClientSession, path: str, tokens: list[str]) -> None:
        self.session = session
        self.path = path
        self.tokens = tokens
        self.rng = random.Random(42)
        self.slots: list[str] = []
        self.seen_full: set[str] = set()
        self.latencies: list[float] = []
        self.statuses: Counter[int] = Counter()

    async def look(self, token: str) -> list[str]:
        """The slots not full, as the member's page shows them (all of them at first)."""
        headers = {"Authorization": f"Bearer {token}"}
        async with self.session.get(self.path + "/slots", headers=headers) as resp:
            slots = (await resp.json())["slots"]
        if not self.slots:
            self.slots = [s["slot_id"] for s in slots]
        return [s["slot_id"] for s in slots if not s["full"]]

    def preferred(self, among: list[str]) -> str:
        """Most want the first hour."""
        return among[min(int(self.rng.expovariate(1 / 6)), len(among) - 1)]

    async def book(self, index: int, slot: str) -> int:
        headers = {"Authorization": f"Bearer {self.tokens[index]}"}
        answer = await send(
            self.session, "POST", self.path + "/booking", json={"slot_id": slot}, headers=headers
        )
        if answer.status == REFUSED:
            self.seen_full.add(slot)
        return answer.status

    async def member(self, index: int) -> int:
        """Books a slot not seen full; on « complet » looks at the slots again and picks a free
        one. The last answer: 201 booked, 409 when no slot is left."""
        wanted: str | None = self.preferred(
            [s for s in self.slots if s not in self.seen_full] or self.slots
        )
        status = REFUSED
        while wanted is not None:
            started = time.perf_counter()
            status = await self.book(index, wanted)
            self.latencies.append(time.perf_counter() - started)
            self.statuses[status] += 1
            if status != REFUSED:
                return status
            free = await self.look(self.tokens[index])
            wanted = self.rng.choice(free) if free else None
        return status


async def rush(members: Members, rate: float | None) -> Run:
    """Every booking request's status; the latency of each request (burst), or of each member
    from their scheduled arrival to their settled booking (open loop)."""
    await members.look(members.tokens[0])
    count = len(members.tokens)
    if rate is not None:
        arrivals = await open_loop(rate, count, members.member)
        return Run(
            arrivals.elapsed,
            arrivals.latencies,
            members.statuses,
            rate,
            arrivals.client_lag_max,
        )
    started = time.perf_counter()
    await asyncio.gather(*(members.member(i) for i in range(count)))
    return Run(time.perf_counter() - started, members.latencies, members.statuses)


async def run(
    infra: Infra,
    members: int = MEMBERS,
    rate: float | None = None,
    bare_bookings: int = BARE_SQL_BOOKINGS,
    replicas: int | None = None,
    profile: Path | None = None,
) -> SlotRushResult:
    """A burst of `members` (or, with `rate`, `members` arrivals at that rate); prints the
    summary lines. Logistics runs as one `all` process, or `replicas` api processes behind
    HAProxy."""
    issuer = TokenIssuer.generate()
    group_id, rush_dist, sql_dist = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    async with (
        fresh_database(infra, "vrac_bench", migrated=["logistics"]) as database_url,
        event_topology(infra) as topology,
        jwks_stand_in(issuer) as accounts_url,
    ):
        pool = await create_pool(database_url, "logistics", 2, infra.connections(16))
        try:
            async with pool.acquire() as conn:
                for dist, cap in ((rush_dist, SLOT_CAPACITY), (sql_dist, 500)):
                    await repository.upsert_distribution(
                        conn,  # type: ignore[arg-type]  # a pool's connection proxy
                        distribution_id=dist,
                        group_id=group_id,
                        state="open",
                        default_capacity=cap,
                        slot_minutes=15,
                        **window(),
                    )
            env = service_env("logistics", database_url, infra, topology.name, accounts_url)
            tokens = [member_token(issuer, group_id, uuid.uuid4()) for _ in range(members)]
            async with (
                serving("logistics", env, replicas) as logistics,
                aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200)) as session,
            ):
                if replicas is not None:
                    print(describe("logistics", replicas))
                path = f"{logistics.base_url}/v1/groups/{group_id}/distributions/{rush_dist}"
                pids = {f"logistics-{k}": v for k, v in logistics.pids.items()}
                async with profiled(profile, pids):
                    http = await rush(Members(session, path, tokens), rate)
                sql_rate = None if rate else await bare_sql_rate(pool, sql_dist, bare_bookings)
            result = SlotRushResult(
                members,
                http,
                sql_rate,
                accepted=http.statuses[BOOKED],
                booked=await pool.fetchval(
                    "SELECT sum(booked) FROM slots WHERE distribution_id = $1", rush_dist
                ),
                rows=await pool.fetchval(
                    "SELECT count(*) FROM bookings WHERE distribution_id = $1", rush_dist
                ),
                overbooked=await pool.fetchval(
                    "SELECT count(*) FROM slots WHERE booked > capacity"
                ),
                bare_bookings=bare_bookings,
            )
        finally:
            await pool.close()
    report(result)
    return result


def report(result: SlotRushResult) -> None:
    http = result.run
    print(f"members: {result.members}, places: {result.places} ({SLOTS} slots x {SLOT_CAPACITY})")
    if http.scheduled_rate is not None:
        print(
            *http.open_loop_lines("members (latency: until booked or told none is left)"), sep="\n"
        )
    else:
        print(
            f"rush: {http.requests} booking requests in {http.elapsed:.2f} s"
            f" = {http.rate:.0f} bookings/s (requests),"
            f" {result.accepted / http.elapsed:.0f} accepted/s"
        )
        print(
            f"latency per booking request: p50 {http.latency.p50:.1f} ms,"
            f" p99 {http.latency.p99:.1f} ms"
        )
    print(f"statuses: {dict(sorted(http.statuses.items()))}")
    print(
        f"accepted: {result.accepted} (database: booked {result.booked}, rows {result.rows},"
        f" overbooked slots {result.overbooked})"
    )
    if result.bare_sql_rate is not None:
        print(
            f"bare SQL booking transaction: {result.bare_sql_rate:.0f} tx/s (16 connections,"
            f" {result.bare_bookings} bookings)"
        )
    print(verdict(result.healthy))


def main() -> int:
    parser = script_parser(__doc__)
    parser.add_argument("--members", type=int, default=MEMBERS, help="burst: members booking")
    add_rush_options(parser, "members booking")
    args = parser.parse_args()
    infra = Infra.from_env()
    return rush_main(
        args,
        "bookings/s",
        lambda members, replicas, profile: run(
            infra, members, args.rate, replicas=replicas, profile=profile
        ),
    )


if __name__ == "__main__":
    sys.exit(main())
