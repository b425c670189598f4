"""Where a load run's services run: the Postgres server and the broker (`Infra`), a fresh
database and events exchange per run, a service started as a process with its pool opened whole,
and the tokens it accepts (a JWKS standing in for accounts)."""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aio_pika
import asyncpg
from aio_pika.abc import AbstractChannel, AbstractExchange
from aiohttp import web

from shared.amqp import declare_events_exchange
from shared.auth import TokenIssuer
from shared.migrations import migrate
from shared.settings import ServiceSettings
from tests.support.infra import ROOT, unique_name, with_database
from tests.support.processes import free_port, start_service, wait_healthy
from tests.support.topology import delete_event_topology


@dataclass(frozen=True)
class Infra:
    """The Postgres server (its admin database) and the broker a run uses; `template`: a
    database where every service's migrations are applied (the tests' template), cloned for
    each run instead of migrating a new one; `pool_max`: a cap on each service's database pool
    and on the bare-SQL connections (the smoke test shares Postgres with other tests)."""

    admin_url: str
    amqp_url: str
    template: str | None = None
    pool_max: int | None = None

    def connections(self, wanted: int) -> int:
        return wanted if self.pool_max is None else min(wanted, self.pool_max)

    @classmethod
    def from_env(cls) -> "Infra":
        return cls(
            os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
            os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"),
        )


def member_token(issuer: TokenIssuer, group_id: uuid.UUID, user_id: uuid.UUID) -> str:
    """An hour-long access token of a member of one group, as accounts would sign it."""
    return issuer.issue(user_id, {str(group_id): "member"}, lifetime=3600)


@asynccontextmanager
async def jwks_stand_in(issuer: TokenIssuer) -> AsyncIterator[str]:
    """Stands in for accounts' JWKS endpoint so a service verifies our tokens; its base URL."""
    app = web.Application()

    async def jwks(_request: web.Request) -> web.Response:
        return web.json_response(issuer.jwks())

    app.router.add_get("/.well-known/jwks.json", jwks)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


# --- database, broker, processes ----------------------------------------------------------------
@asynccontextmanager
async def fresh_database(
    infra: Infra, prefix: str, migrated: Sequence[str] = ()
) -> AsyncIterator[str]:
    """A new database (a clone of `infra.template`, else with the `migrated` services' schemas
    applied one after the other); its URL, dropped after the run."""
    name = unique_name(prefix)
    admin = await asyncpg.connect(infra.admin_url)
    try:
        if infra.template:
            await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{infra.template}"')
        else:
            await admin.execute(f'CREATE DATABASE "{name}"')
        url = with_database(infra.admin_url, name)
        for service in [] if infra.template else migrated:
            await migrate(url, service, ROOT / "services" / service)
        yield url
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@dataclass
class EventTopology:
    """A per-run events exchange `<prefix>vrac.events` and a queue `<prefix>sink` bound to it."""

    channel: AbstractChannel
    exchange: AbstractExchange
    name: str
    sink: aio_pika.abc.AbstractQueue

    @property
    def prefix(self) -> str:
        return self.name.removesuffix("vrac.events")


@asynccontextmanager
async def event_topology(
    infra: Infra, binding: str = "#", quorum: bool = False
) -> AsyncIterator[EventTopology]:
    """The exchange and a durable queue bound with `binding` (without any bound queue the relay's
    events would go to the parking queue instead): a classic queue by default, cheap for the
    broker during a rush; `quorum` for an integrator's queue as docs/integrating.md asks. All
    deleted after the run."""
    name = f"load{uuid.uuid4().hex[:8]}.vrac.events"
    connection = await aio_pika.connect(infra.amqp_url)
    try:
        channel = await connection.channel()
        exchange = await declare_events_exchange(channel, name)
        sink = await channel.declare_queue(
            f"{name.removesuffix('vrac.events')}sink",
            durable=True,
            arguments={"x-queue-type": "quorum" if quorum else "classic"},
        )
        await sink.bind(exchange, routing_key=binding)
        yield EventTopology(channel, exchange, name, sink)
    finally:
        await delete_event_topology(await connection.channel(), name)
        await connection.close()


def pool_env(prefix: str, pool_max: int | None) -> dict[str, str]:
    """A service's database pool opened whole at start (its default size, or `pool_max`): no
    connection is set up during the measurement, and a Postgres full of other clients fails the
    start rather than requests in the middle of the run."""
    size = ServiceSettings.model_fields["db_pool_max"].default if pool_max is None else pool_max
    return {f"{prefix}_DB_POOL_MAX": str(size), f"{prefix}_DB_POOL_MIN": str(size)}


def service_env(
    name: str, database_url: str, infra: Infra, exchange: str, accounts_url: str, **extra: str
) -> dict[str, str]:
    """The environment of `python -m services.<name>` for a run (its ports: `running_service`)."""
    prefix = name.upper()
    return {
        **os.environ,
        **pool_env(prefix, infra.pool_max),
        f"{prefix}_DATABASE_URL": database_url,
        f"{prefix}_AMQP_URL": infra.amqp_url,
        f"{prefix}_EVENTS_EXCHANGE": exchange,
        f"{prefix}_ACCOUNTS_URL": accounts_url,
        f"{prefix}_LOG_LEVEL": "WARNING",
        # No load balancer to drain: stop at once when the run is over.
        f"{prefix}_DRAIN_SECONDS": "0",
        **extra,
    }


@dataclass(frozen=True)
class Processes:
    """A service's running processes: where its API answers (the first `api`/`all` process, or
    the load balancer in front of them), each one's own base URL and pid, by label (`all`,
    `api1`, `api2`, `worker`…: what a profile is named after)."""

    base_url: str
    urls: dict[str, str]
    pids: dict[str, int]

    @property
    def api_urls(self) -> dict[str, str]:
        return {label: url for label, url in self.urls.items() if label != "worker"}


def labels(roles: Sequence[str]) -> list[str]:
    """`api1`, `api2`… when a role runs several times, else the role itself."""
    counts = {role: roles.count(role) for role in roles}
    seen: dict[str, int] = {}
    named = []
    for role in roles:
        seen[role] = seen.get(role, 0) + 1
        named.append(f"{role}{seen[role]}" if counts[role] > 1 else role)
    return named


@asynccontextmanager
async def service_processes(
    name: str, env: dict[str, str], roles: Sequence[str] = ("all",)
) -> AsyncIterator[Processes]:
    """`python -m services.<name> <role>` for each role (`all`, or `api` — any number of them —
    and `worker`), each on its own free port, until each one's /readyz answers 200 (a worker's
    once its relay and consumers hold a broker connection); terminated after the run."""
    prefix = name.upper()
    ports = [free_port() for _ in roles]
    processes: list[asyncio.subprocess.Process] = []
    try:
        for role, port in zip(roles, ports, strict=True):
            port_variable = f"{prefix}_WORKER_PORT" if role == "worker" else f"{prefix}_PORT"
            processes.append(await start_service(name, {**env, port_variable: str(port)}, role))
        for role, port, process in zip(roles, ports, processes, strict=True):
            ready = asyncio.create_task(
                wait_healthy(f"http://127.0.0.1:{port}", seconds=90, probe="/readyz")
            )
            exited = asyncio.create_task(process.wait())
            await asyncio.wait((ready, exited), return_when=asyncio.FIRST_COMPLETED)
            exited.cancel()
            if not ready.done():
                ready.cancel()
                raise RuntimeError(f"services.{name} {role} exited with {process.returncode}")
            await ready
        named = labels(roles)
        urls = {label: f"http://127.0.0.1:{port}" for label, port in zip(named, ports, strict=True)}
        pids = {label: process.pid for label, process in zip(named, processes, strict=True)}
        api = next(label for label in named if label != "worker")
        yield Processes(urls[api], urls, pids)
    finally:
        for process in processes:
            if process.returncode is None:
                process.terminate()
        for process in processes:
            await asyncio.wait_for(process.wait(), 20)


@asynccontextmanager
async def running_service(
    name: str, env: dict[str, str], roles: Sequence[str] = ("all",)
) -> AsyncIterator[str]:
    """`service_processes`, for a script that only needs the API's base URL."""
    async with service_processes(name, env, roles) as processes:
        yield processes.base_url
