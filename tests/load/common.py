"""What the load scripts share: the closed-loop (N in flight) and open-loop (steady arrival
rate) drivers, the percentiles they report, one HTTP request's answer, the scripts' options and
last line. Where the services run (database, broker, processes): tests/load/infra.py."""

import argparse
import asyncio
import time
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import aiohttp

from shared.logging import configure_logging

# The scripts print their figures on stdout: migrations' info lines would only bury them.
configure_logging("load", "WARNING")


# --- figures ------------------------------------------------------------------------------------
def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (the rush scripts' figures since their first version); 0 for no
    values (a kind of request a run never sent)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


@dataclass(frozen=True)
class Latency:
    """Percentiles of one series, in milliseconds."""

    count: int
    p50: float
    p95: float
    p99: float
    max: float
    mean: float

    @classmethod
    def of_seconds(cls, seconds: Sequence[float]) -> "Latency":
        ms = [s * 1000 for s in seconds] or [0.0]
        return cls(
            len(seconds),
            percentile(ms, 50),
            percentile(ms, 95),
            percentile(ms, 99),
            max(ms),
            sum(ms) / len(ms),
        )

    def line(self) -> str:
        return (
            f"p50 {self.p50:.1f}  p95 {self.p95:.1f}  p99 {self.p99:.1f}  max {self.max:.1f} ms"
            f" ({self.count} samples)"
        )


@dataclass
class Run:
    """The requests of one load run: each one's latency (seconds), the answers by status (0: no
    answer at all), the wall time; for an open loop, the arrival rate asked for and how late the
    client itself started requests (a busy client shows here, and in the latencies)."""

    elapsed: float
    latencies: list[float]
    statuses: Counter[int]
    scheduled_rate: float | None = None
    client_lag_max: float = 0.0

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.requests / self.elapsed if self.elapsed else 0.0

    @property
    def latency(self) -> Latency:
        return Latency.of_seconds(self.latencies)

    def errors(self, *expected: int) -> int:
        return sum(n for status, n in self.statuses.items() if status not in expected)

    def open_loop_lines(self, what: str) -> list[str]:
        """What `--rate` prints: the arrivals, the rate achieved, latency from scheduled start."""
        return [
            f"open loop: {self.requests} {what} at {self.scheduled_rate:.0f}/s scheduled"
            f" = achieved {self.rate:.0f}/s in {self.elapsed:.2f} s"
            f" (client lag max {self.client_lag_max * 1000:.1f} ms)",
            f"latency from scheduled start: {self.latency.line()}",
        ]


@dataclass(frozen=True)
class RushResult(ABC):
    """What both rushes report: the members, their requests, and the rate of the bare SQL
    transaction measured in the same run (None in open loop, where the rate is imposed)."""

    members: int
    run: Run
    bare_sql_rate: float | None  # tx/s

    @property
    def percent_of_bare_sql(self) -> float | None:
        return 100 * self.run.rate / self.bare_sql_rate if self.bare_sql_rate else None

    @property
    @abstractmethod
    def healthy(self) -> bool:
        """Its correctness figures hold: each rush says which."""


def script_parser(doc: str | None) -> argparse.ArgumentParser:
    """A script's options, its docstring as the `--help` text."""
    return argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )


def verdict(healthy: bool) -> str:
    """The last line of every script: its correctness figures hold, or not."""
    return "OK" if healthy else "FAILED"


# The i-th request of a run, returning its HTTP status (0: no answer).
Request = Callable[[int], Awaitable[int]]


async def closed_loop(count: int, in_flight: int, request: Request) -> Run:
    """`count` requests, at most `in_flight` at a time, each timed from when it may start: the
    throughput a fixed number of clients gets (the burst of a rush, N browsers)."""
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    gate = asyncio.Semaphore(in_flight)

    async def one(index: int) -> None:
        async with gate:
            started = time.perf_counter()
            statuses[await request(index)] += 1
            latencies.append(time.perf_counter() - started)

    began = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(count)))
    return Run(time.perf_counter() - began, latencies, statuses)


async def open_loop(rate: float, count: int, request: Request) -> Run:
    """`count` arrivals at a steady `rate` per second, whatever the answers' pace. Each latency
    runs from the arrival's SCHEDULED instant, not from when the request went out: when the
    service queues, later arrivals are not held back (as in a closed loop, where a slow answer
    delays the next request and hides the queueing: coordinated omission)."""
    latencies = [0.0] * count
    statuses: Counter[int] = Counter()
    lag = 0.0

    async def one(index: int, due: float) -> None:
        statuses[await request(index)] += 1
        latencies[index] = time.perf_counter() - due

    tasks: list[asyncio.Task[None]] = []
    began = time.perf_counter()
    for index in range(count):
        due = began + index / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        lag = max(lag, time.perf_counter() - due)
        tasks.append(asyncio.create_task(one(index, due)))
    await asyncio.gather(*tasks)
    return Run(time.perf_counter() - began, latencies, statuses, rate, lag)


def add_rate_options(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--rate",
        type=float,
        help=f"open loop: {what} arriving at R per second (latency from the scheduled start)"
        " instead of the burst",
    )
    parser.add_argument("--duration", type=float, default=10.0, help="open loop: seconds")
    parser.add_argument(
        "--requests", type=int, help="open loop: this many arrivals (instead of --duration)"
    )


def arrivals(rate: float, duration: float, requests: int | None) -> int:
    return requests if requests is not None else max(1, round(rate * duration))


# --- HTTP ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Answer:
    status: int  # 0: no answer (connection refused, reset, timed out)
    body: bytes = b""
    encoding: str = ""  # Content-Encoding as received


async def send(session: aiohttp.ClientSession, method: str, url: str, **options: object) -> Answer:
    try:
        async with session.request(method, url, **options) as resp:  # type: ignore[arg-type]
            body = await resp.read()
            return Answer(resp.status, body, resp.headers.get("Content-Encoding", ""))
    except (aiohttp.ClientError, TimeoutError):
        return Answer(0)
