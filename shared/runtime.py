"""What every service process runs: pool, migrations, outbox relay, consumers, HTTP, CLI."""

import argparse
import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aio_pika
from aiohttp import web

from shared.amqp import Consumer, Handler, QueueNames
from shared.auth import VERIFIER_KEY, TokenVerifier
from shared.db import Database, create_pool
from shared.http import READINESS, serve
from shared.logging import configure_logging, get_logger
from shared.migrations import migrate
from shared.outbox import OutboxRelay
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
    run_relay: bool = True
    run_consumers: bool = True
    background: list[Callable[[Database], Coroutine[Any, Any, None]]] = field(default_factory=list)

    def install(self, app: web.Application, verifier: TokenVerifier | None = None) -> None:
        if verifier is not None:
            app[VERIFIER_KEY] = verifier
        elif VERIFIER_KEY not in app:
            app[VERIFIER_KEY] = TokenVerifier(
                jwks_url=f"{self.settings.accounts_url}/.well-known/jwks.json"
            )
        app.cleanup_ctx.append(self._context)

    async def _context(self, app: web.Application) -> AsyncIterator[None]:
        pool = await create_pool(
            self.settings.database_url,
            self.name,
            self.settings.db_pool_min,
            self.settings.db_pool_max,
        )
        db = Database(pool, self.settings.db_concurrency)
        app[DB_KEY] = db
        app[READINESS]["database"] = db.ping
        app[READINESS]["broker"] = lambda: broker_reachable(self.settings.amqp_url)
        relay = OutboxRelay(
            pool,
            self.settings.database_url,
            self.name,
            self.settings.amqp_url,
            self.settings.events_exchange,
        )
        consumer = Consumer(
            self.name,
            db,
            self.settings.amqp_url,
            QueueNames(self.settings.events_exchange, self._queue_name()),
            self.handlers,
        )
        tasks: list[asyncio.Task[None]] = []
        if self.run_relay:
            relay.start()
        if self.run_consumers and self.handlers:
            await consumer.start()
        for job in self.background:
            tasks.append(asyncio.create_task(job(db)))
        try:
            yield
        finally:
            if self.run_consumers and self.handlers:
                await consumer.stop(self.settings.shutdown_timeout)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if self.run_relay:
                await relay.stop()
            await pool.close()

    def _queue_name(self) -> str:
        prefix = self.settings.events_exchange.removesuffix("vrac.events")
        return f"{prefix}{self.name}"


async def broker_reachable(amqp_url: str) -> bool:
    try:
        connection = await aio_pika.connect(amqp_url, timeout=2)
    except Exception:
        return False
    await connection.close()
    return True


def main(
    name: str,
    settings: ServiceSettings,
    service_dir: Path,
    build_app: Callable[[], Awaitable[web.Application]],
    seed: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """`python -m services.<name> [api|all|migrate|seed]` (api and all: serve, relay, consume)."""
    parser = argparse.ArgumentParser(prog=f"python -m services.{name}")
    parser.add_argument(
        "command", nargs="?", default="api", choices=["api", "all", "migrate", "seed"]
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
        app = await build_app()
        await serve(app, settings.host, settings.port, settings.shutdown_timeout)

    asyncio.run(run())
