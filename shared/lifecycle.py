"""What a process is (its role), where it stands (ready, draining, read by /readyz) and the event
loop it runs on.

Readiness is the live state of the process, never a new connection per probe: the checks are
plain flags kept up to date by the parts that own the connections (the database monitor, the
relay, the consumer). `/readyz` means "send me traffic": an `api` process is ready while its
database pool works and it is not draining — the broker does not matter to it, since the outbox
keeps every event while the broker is away. A `worker` is ready while its relay and consumers
hold a broker connection.
"""

import asyncio
import contextlib
import os
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar, get_args

import asyncpg
from aiohttp import web

from shared.logging import get_logger
from shared.metrics import (
    DB_POOL_IDLE,
    DB_POOL_IN_USE,
    DB_POOL_MAX,
    SERVICE_DRAINING,
    SERVICE_READY,
)

log = get_logger(__name__)

Role = Literal["api", "worker", "all"]
ROLES: tuple[Role, ...] = get_args(Role)
# What a `worker` still serves: the probes and the scrape, no API route.
OPERATIONS_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


@dataclass
class Lifecycle:
    service: str
    role: Role = "all"
    draining: bool = False
    checks: dict[str, Callable[[], bool]] = field(default_factory=dict)

    @property
    def serves_api(self) -> bool:
        return self.role in ("api", "all")

    @property
    def runs_worker(self) -> bool:
        return self.role in ("worker", "all")

    def add_check(self, name: str, check: Callable[[], bool]) -> None:
        self.checks[name] = check

    def state(self) -> dict[str, bool]:
        return {name: check() for name, check in self.checks.items()}

    def ready(self) -> bool:
        return not self.draining and all(self.state().values())

    def export_metrics(self) -> None:
        """Once the role is known: the gauges read the live state at every scrape."""
        SERVICE_READY.labels(self.service, self.role).set_function(lambda: int(self.ready()))
        SERVICE_DRAINING.labels(self.service, self.role).set_function(lambda: int(self.draining))

    def start_draining(self) -> None:
        self.draining = True


LIFECYCLE = web.AppKey("lifecycle", Lifecycle)

# Every service process runs on uvloop (libuv): its sockets, timers and callbacks cost less CPU
# per request than asyncio's own loop. `VRAC_UVLOOP=0` (or false/no/off) in the environment of a
# process turns it off, e.g. to compare, or to rule uvloop out while chasing a problem.
UVLOOP_VARIABLE = "VRAC_UVLOOP"
T = TypeVar("T")


def uvloop_wanted(environ: Mapping[str, str] = os.environ) -> bool:
    return environ.get(UVLOOP_VARIABLE, "1").strip().lower() not in ("0", "false", "no", "off")


def run_event_loop(main: Coroutine[Any, Any, T]) -> T:
    """Run a process's main coroutine to the end, on uvloop unless turned off or not installed
    (it does not exist on Windows): then on asyncio's own loop, which behaves the same."""
    if uvloop_wanted():
        try:
            import uvloop
        except ImportError:
            pass
        else:
            return uvloop.run(main)
    return asyncio.run(main)


def event_loop_name() -> str:
    """`uvloop` or `asyncio`: the running loop's package, as the start-up log line says."""
    return type(asyncio.get_running_loop()).__module__.partition(".")[0]


class DatabaseMonitor:
    """Checks the pool every `interval` s; a saturated pool is busy, not broken."""

    def __init__(self, service: str, pool: asyncpg.Pool, interval: float = 1.0) -> None:
        self.service = service
        self.pool = pool
        self.interval = interval
        self.healthy = True
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"database-monitor-{self.service}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            await self.check()
            await asyncio.sleep(self.interval)

    async def check(self) -> None:
        size, idle, maximum = (
            self.pool.get_size(),
            self.pool.get_idle_size(),
            self.pool.get_max_size(),
        )
        DB_POOL_IN_USE.labels(self.service).set(size - idle)
        DB_POOL_IDLE.labels(self.service).set(idle)
        DB_POOL_MAX.labels(self.service).set(maximum)
        saturated = size >= maximum and idle == 0
        try:
            async with self.pool.acquire(timeout=5) as conn:
                await conn.fetchval("SELECT 1", timeout=5)
        except asyncio.CancelledError:
            raise
        except TimeoutError:
            # Every connection busy serving requests: the database works, the process is loaded.
            if not saturated:
                self._mark(False, "timeout")
            return
        except Exception as exc:
            self._mark(False, repr(exc))
            return
        self._mark(True, None)

    def _mark(self, healthy: bool, error: str | None) -> None:
        if healthy != self.healthy:
            if healthy:
                log.info("database_reachable_again", service=self.service)
            else:
                log.warning("database_unreachable", service=self.service, error=error)
        self.healthy = healthy
