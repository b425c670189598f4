"""Order-close rush: N members validate a 5-line order through the HTTP API of a real running
ordering process; prints orders/s, latency percentiles, errors, oversold units, and the rate of
the bare SQL transaction an order validation needs, measured in the same run on the same database.

    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
    TEST_AMQP_URL=amqp://guest:guest@127.0.0.1:5672/ \
    .venv/bin/python -m tests.load.order_close_rush [--members 2000] [--concurrency 64]

    .venv/bin/python -m tests.load.order_close_rush --replicas 1 2 --profile var/profiles/close

Burst (default): every member at once, `--concurrency` in flight (closed loop). `--rate R`: open
loop, members arriving at R per second for `--duration` seconds (or `--requests` members), each
latency counted from the arrival's scheduled start. `--replicas N`: N `api` processes and a
`worker` behind HAProxy (tests/load/replicas.py); `--profile PATH`: py-spy on each ordering
process during the validations (tests/load/profiling.py).

A script, not a test (pytest does not collect it: no test_ prefix, work under __main__).
"""

import sys
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import asyncpg

from shared.auth import TokenIssuer
from tests.load.common import (
    RushResult,
    closed_loop,
    open_loop,
    script_parser,
    verdict,
)
from tests.load.infra import (
    Infra,
    event_topology,
    fresh_database,
    jwks_stand_in,
    service_env,
)
from tests.load.ordering_data import (
    GROUPS,
    LINES,
    PRODUCTS_PER_GROUP,
    StockFigures,
    bare_sql_rate,
    setup_data,
    stock_figures,
    validation_request,
)
from tests.load.profiling import profiled
from tests.load.replicas import add_rush_options, describe, rush_main, serving

CREATED, OUT_OF_STOCK = 201, 409


@dataclass(frozen=True)
class OrderCloseResult(RushResult):
    """One run: the HTTP figures, the bare SQL reference (burst only) and the database's."""

    stock: StockFigures

    @property
    def created(self) -> int:
        return self.run.statuses[CREATED]

    @property
    def errors(self) -> int:
        return self.run.errors(CREATED, OUT_OF_STOCK)

    @property
    def healthy(self) -> bool:
        return self.errors == 0 and self.stock.healthy(self.created)


async def run(
    infra: Infra,
    members: int = 2000,
    concurrency: int = 64,
    stocked: int = 3,
    rate: float | None = None,
    bare_transactions: int = 2000,
    replicas: int | None = None,
    profile: Path | None = None,
) -> OrderCloseResult:
    """A burst of `members` validations (`concurrency` in flight) after the bare SQL reference,
    or, with `rate`, `members` arrivals at that steady rate; prints the summary lines. Ordering
    runs as one `all` process, or `replicas` api processes behind HAProxy."""
    issuer = TokenIssuer.generate()
    async with (
        fresh_database(infra, "vrac_rush") as dsn,
        event_topology(infra) as topology,
        jwks_stand_in(issuer) as accounts_url,
        serving(
            "ordering", service_env("ordering", dsn, infra, topology.name, accounts_url), replicas
        ) as ordering,
    ):
        conn = await asyncpg.connect(dsn, server_settings={"search_path": "ordering"})
        try:
            bare: float | None = None
            if rate is None:
                bare_data = await setup_data(conn, 0, stocked)
                bare = await bare_sql_rate(
                    dsn,
                    bare_data.groups,
                    transactions=max(members, bare_transactions),
                    connections=infra.connections(16),
                )
            data = await setup_data(conn, members, stocked)
            load = f"client concurrency={concurrency}" if rate is None else f"rate={rate:.0f}/s"
            print(
                f"members={members} groups={GROUPS} lines/order={LINES} "
                f"{load} stocked products/group={stocked}"
            )
            if replicas is not None:
                print(describe("ordering", replicas))
            connector = aiohttp.TCPConnector(limit=concurrency if rate is None else 0)
            async with (
                aiohttp.ClientSession(connector=connector) as session,
                profiled(profile, {f"ordering-{k}": v for k, v in ordering.pids.items()}),
            ):
                validate = validation_request(session, ordering.base_url, issuer, data.people)
                if rate is None:
                    http = await closed_loop(members, concurrency, validate)
                else:
                    http = await open_loop(rate, members, validate)
            result = OrderCloseResult(members, http, bare, await stock_figures(conn, data))
        finally:
            await conn.close()
    report(result)
    return result


def report(result: OrderCloseResult) -> None:
    http = result.run
    statuses = dict(sorted(http.statuses.items()))
    counts = (
        f"created {result.created}, refused out-of-stock {http.statuses[OUT_OF_STOCK]},"
        f" errors {result.errors}; statuses {statuses}"
    )
    if http.scheduled_rate is not None:
        print(*http.open_loop_lines("validations"), f"answers: {counts}", sep="\n")
    else:
        rate = f"{http.rate:.0f}/s"
        print(f"HTTP: {http.requests} validations in {http.elapsed:.2f}s = {rate} ({counts})")
        lat = http.latency
        print(
            f"latency ms: p50 {lat.p50:.1f}  p95 {lat.p95:.1f}  p99 {lat.p99:.1f}"
            f"  mean {lat.mean:.1f}"
        )
    print(result.stock.line())
    if result.bare_sql_rate is not None and result.percent_of_bare_sql is not None:
        print(
            "bare SQL validation transaction (measured first, same database):"
            f" {result.bare_sql_rate:.0f} tx/s (16 connections)"
        )
        print(f"HTTP / bare SQL = {result.percent_of_bare_sql:.0f} %")
    print(verdict(result.healthy))


def main() -> int:
    parser = script_parser(__doc__)
    parser.add_argument("--members", type=int, default=2000, help="burst: members validating")
    parser.add_argument("--concurrency", type=int, default=64, help="burst: requests in flight")
    parser.add_argument(
        "--stocked",
        type=int,
        default=3,
        choices=range(1, PRODUCTS_PER_GROUP + 1),
        help="products per group with a limited stock (the rest unlimited)",
    )
    add_rush_options(parser, "members validating")
    args = parser.parse_args()
    infra = Infra.from_env()
    return rush_main(
        args,
        "validations/s",
        lambda members, replicas, profile: run(
            infra,
            members,
            args.concurrency,
            args.stocked,
            args.rate,
            replicas=replicas,
            profile=profile,
        ),
    )


if __name__ == "__main__":
    sys.exit(main())
