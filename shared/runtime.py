"""What every service process runs: pool, migrations, outbox relay, consumers, HTTP, CLI.

A process has one role (shared.lifecycle): `api` serves the HTTP API; `worker` runs the outbox
relay, the consumers and the background jobs (and serves only its probes and metrics); `all`
does both. Relays and consumers compete safely, so any number of workers may run.
"""

import argparse
import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from shared.amqp import Consumer, Handler, QueueNames
from shared.auth import PRINCIPAL_FILTER, VERIFIER_KEY, TokenVerifier
from shared.db import Database, create_pool
from shared.http import serve
from shared.jobs import BackgroundJob
from shared.lifecycle import LIFECYCLE, ROLES, DatabaseMonitor, Role, run_event_loop
from shared.logging import configure_logging, get_logger
from shared.migrations import migrate
from shared.outbox import OutboxRelay
from shared.retention import retention_job, with_erasure
from shared.revocations import Revocations, with_membership_ends
from shared.settings import ServiceSettings

log = get_logger(__name__)
DB_KEY = web.AppKey("db", Database)


@dataclass
class Platform:
    """The shared resources of one service process, built in a cleanup context."""

    name: str
    settings: ServiceSettings
    service_dir: Path
    handlers: dict[str, Handler] = field(default_factory=dict)
    background: list[BackgroundJob] = field(default_factory=list)
    # Group-scoped APIs: a member who left (or was erased) loses access at once, not when their
    # token expires (shared.revocations).
    end_access_on_leave: bool = False

    def __post_init__(self) -> None:
        if self.end_access_on_leave:
            self.handlers = with_membership_ends(self.handlers)
        # Whatever the service does on erasure, its outbox and idempotency answers forget the
        # person too (shared.retention); wrapped last, so it runs after the service's handler.
        self.handlers = with_erasure(self.handlers)

    def install(self, app: web.Application, verifier: TokenVerifier | None = None) -> None:
        if verifier is not None:
            app[VERIFIER_KEY] = verifier
        elif VERIFIER_KEY not in app:
            app[VERIFIER_KEY] = TokenVerifier(
                jwks_url=f"{self.settings.accounts_url}/.well-known/jwks.json"
            )
        app.cleanup_ctx.append(self._context)

    async def _context(self, app: web.Application) -> AsyncIterator[None]:
        lifecycle = app[LIFECYCLE]
        settings = self.settings
        # A worker needs a few connections (relay, consumers, jobs); see docs/deploying.md.
        pool_max = (
            settings.worker_db_pool_max if lifecycle.role == "worker" else settings.db_pool_max
        )
        pool = await create_pool(
            settings.database_url, self.name, min(settings.db_pool_min, pool_max), pool_max
        )
        db = Database(pool, settings.db_concurrency or pool_max, self.name)
        app[DB_KEY] = db
        monitor = DatabaseMonitor(self.name, pool)
        monitor.start()
        lifecycle.add_check("database", lambda: monitor.healthy)
        revocations: Revocations | None = None
        if self.end_access_on_leave and lifecycle.serves_api:
            revocations = Revocations(pool, settings.database_url, self.name)
            await revocations.start()
            app[PRINCIPAL_FILTER] = revocations.restrict
        relay = OutboxRelay(
            pool,
            settings.database_url,
            self.name,
            settings.amqp_url,
            settings.events_exchange,
            # In an `all` process a backlog is caught up at half speed: HTTP shares the loop.
            max_share=0.5 if lifecycle.serves_api else 1.0,
        )
        consumer = Consumer(
            self.name,
            db,
            settings.amqp_url,
            QueueNames(settings.events_exchange, self._queue_name()),
            self.handlers,
        )
        consuming = lifecycle.runs_worker and bool(self.handlers)
        tasks: list[asyncio.Task[None]] = []
        if lifecycle.runs_worker:
            relay.start()
            if consuming:
                await consumer.start()
            jobs = [*self.background, retention_job(settings.outbox_retention)]
            tasks = [asyncio.create_task(job(db)) for job in jobs]
        if lifecycle.role == "worker":
            # Only a worker's readiness follows the broker: an api process keeps serving while
            # the broker is away, its events wait in the outbox.
            lifecycle.add_check("broker_relay", lambda: relay.connected)
            if consuming:
                lifecycle.add_check("broker_consumer", lambda: consumer.connected)
        try:
            yield
        finally:
            if consuming:
                await consumer.stop(max(1.0, settings.shutdown_timeout * 0.2))
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if lifecycle.runs_worker:
                await relay.stop()
            if revocations is not None:
                await revocations.stop()
            await monitor.stop()
            await pool.close()

    def _queue_name(self) -> str:
        prefix = self.settings.events_exchange.removesuffix("vrac.events")
        return f"{prefix}{self.name}"


def listening_port(settings: ServiceSettings, role: Role) -> int:
    return settings.effective_worker_port if role == "worker" else settings.port


def main(
    name: str,
    settings: ServiceSettings,
    service_dir: Path,
    build_app: Callable[[], Awaitable[web.Application]],
    seed: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """`python -m services.<name> [api|worker|all|migrate|seed]` (default: all), on uvloop
    unless VRAC_UVLOOP=0 (shared.lifecycle.run_event_loop)."""
    parser = argparse.ArgumentParser(prog=f"python -m services.{name}")
    parser.add_argument(
        "command",
        nargs="?",
        default="all",
        choices=[*ROLES, "migrate", "seed"],
        help="api: HTTP only; worker: relay, consumers, jobs; all: both",
    )
    args = parser.parse_args()
    configure_logging(name, settings.log_level)

    async def run() -> None:
        await migrate(settings.database_url, name, service_dir)
        if args.command == "migrate":
            return
        if args.command == "seed":
            if seed is not None:
                await seed()
            return
        role: Role = args.command
        app = await build_app()
        app[LIFECYCLE].role = role
        await serve(
            app,
            settings.host,
            listening_port(settings, role),
            settings.drain_seconds,
            settings.shutdown_timeout,
        )

    run_event_loop(run())
