"""Services as real processes for the fault scenarios that kill one of them: start, `kill -9` by
pid, restart; read their JSON log lines and their /metrics; hold a transaction inside Postgres
with a trigger so that a process can be killed at an exact point of its work."""

import asyncio
import contextlib
import inspect
import json
import os
import signal
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from prometheus_client.parser import text_string_to_metric_families

from tests.support.processes import LoggedProcess, free_port, run_logged

SERVICES = ("accounts", "ordering", "logistics", "notifications")
SERVICE_SECRET = "fault-scenarios-service-secret"
TIMEOUT = aiohttp.ClientTimeout(total=15)


async def wait_until(
    check: Callable[[], Awaitable[bool] | bool], seconds: float, what: str, every: float = 0.1
) -> None:
    """Until `check()` (plain or awaited) is true; TimeoutError naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"not within {seconds} s: {what}")
        await asyncio.sleep(every)


async def at_least(value: Awaitable[int], minimum: int) -> bool:
    """A `wait_until` check on a count still to be awaited."""
    return await value >= minimum


@dataclass
class ServiceProcess(LoggedProcess):
    """`python -m services.<name> <command>`, stdout and stderr in `logs/<label>.<n>.log`."""

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def wait_ready(self, seconds: float = 60) -> None:
        """/readyz 200: a worker is ready once its relay and consumers hold a broker connection
        (its queues are declared and consumed by then)."""
        deadline = time.monotonic() + seconds
        async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
            while time.monotonic() < deadline:
                if not self.running:
                    raise RuntimeError(f"{self.label} exited:\n{self.tail()}")
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with session.get(f"{self.base}/readyz") as resp:
                        if resp.status == 200:
                            return
                await asyncio.sleep(0.1)
        raise TimeoutError(f"{self.label}: /readyz not 200 within {seconds} s\n{self.tail()}")

    async def kill9(self) -> None:
        """SIGKILL by pid: no shutdown code runs, the kernel closes its sockets."""
        assert self.process is not None and self.process.returncode is None
        os.kill(self.process.pid, signal.SIGKILL)
        await self.process.wait()

    async def stop(self, seconds: float = 20) -> None:
        if not self.running:
            return
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), seconds)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()

    async def metric(self, name: str, **labels: str) -> float:
        """Sum of the samples `name` (e.g. `consumer_messages_total`) matching `labels`."""
        async with (
            aiohttp.ClientSession(timeout=TIMEOUT) as session,
            session.get(f"{self.base}/metrics") as resp,
        ):
            text = await resp.text()
        return sum(
            sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
        )

    def log_records(self, generation: int | None = None) -> list[dict[str, Any]]:
        """The JSON log lines of one run (default: the current one)."""
        path = self.logs / f"{self.label}.{generation or self.generation}.log"
        records: list[dict[str, Any]] = []
        if not path.exists():
            return records
        for line in path.read_text(errors="replace").splitlines():
            with contextlib.suppress(ValueError):
                record = json.loads(line)
                if isinstance(record, dict):
                    records.append(record)
        return records


@dataclass
class FaultStack:
    """The processes of one scenario on a per-test database and exchange; all ended at close."""

    database_url: str
    amqp_url: str
    events_exchange: str
    logs: Path
    ports: dict[str, int] = field(default_factory=dict)
    processes: list[ServiceProcess] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.ports = {"accounts": free_port(), "smtp": free_port()}

    @property
    def accounts_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['accounts']}"

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        for name in SERVICES:
            prefix = name.upper()
            env.update(
                {
                    f"{prefix}_DATABASE_URL": self.database_url,
                    f"{prefix}_AMQP_URL": self.amqp_url,
                    f"{prefix}_EVENTS_EXCHANGE": self.events_exchange,
                    f"{prefix}_ACCOUNTS_URL": self.accounts_url,
                    f"{prefix}_SERVICE_SECRET": SERVICE_SECRET,
                    f"{prefix}_LOG_LEVEL": "WARNING",
                    f"{prefix}_DRAIN_SECONDS": "0",
                    f"{prefix}_DB_POOL_MAX": "4",
                }
            )
        env.update(
            {
                "ACCOUNTS_PORT": str(self.ports["accounts"]),
                "ORDERING_SCHEDULER_INTERVAL": "1",
                "NOTIFICATIONS_DEV_MODE": "true",
                "NOTIFICATIONS_MAILSINK_PORT": str(self.ports["smtp"]),
                "NOTIFICATIONS_SMTP_PORT": str(self.ports["smtp"]),
                "NOTIFICATIONS_SENDER_POLL_SECONDS": "0.3",
            }
        )
        env.update(extra)
        return env

    def process(self, name: str, command: str, **extra_env: str) -> ServiceProcess:
        """A process not started yet; `extra_env` overrides (e.g. another `<NAME>_AMQP_URL`)."""
        prefix = name.upper()
        # accounts' API port is fixed up front: every other process is told its URL.
        fixed = name == "accounts" and command != "worker"
        port = self.ports["accounts"] if fixed else free_port()
        port_var = f"{prefix}_WORKER_PORT" if command == "worker" else f"{prefix}_PORT"
        index = sum(1 for p in self.processes if p.name == name and p.command == command)
        service = ServiceProcess(
            name,
            command,
            self.env(**{port_var: str(port), **extra_env}),
            port,
            self.logs,
            f"{name}-{command}{index or ''}",
        )
        self.processes.append(service)
        return service

    async def start(self, *services: ServiceProcess) -> None:
        for service in services:
            await service.start()
        for service in services:
            await service.wait_ready()

    async def seed(self, *names: str) -> None:
        async def one(name: str) -> None:
            await run_logged(name, self.env(), self.logs / f"{name}-seed.log", "seed")

        await asyncio.gather(*(one(n) for n in names))

    async def close(self) -> None:
        await asyncio.gather(*(p.stop() for p in self.processes if p.running))

    def tails(self) -> str:
        return "\n".join(f"--- {p.label} ---\n{p.tail()}" for p in self.processes)


# --- members and orders through the HTTP APIs ---------------------------------------------------
@dataclass
class Member:
    user_id: uuid.UUID
    email: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@contextlib.asynccontextmanager
async def client_session(
    session: aiohttp.ClientSession | None,
) -> AsyncIterator[aiohttp.ClientSession]:
    """The caller's `session` (its own timeout), or one of ours with TIMEOUT, closed after."""
    if session is not None:
        yield session
        return
    async with aiohttp.ClientSession(timeout=TIMEOUT) as own:
        yield own


async def sign_up(
    accounts: str, group_id: uuid.UUID, session: aiohttp.ClientSession | None = None
) -> Member:
    """A new member of the group, signed in, with an access token (through `session` if given,
    e.g. one shared by many sign-ups)."""
    email = f"fault-{uuid.uuid4().hex[:10]}@example.org"
    password = "un mot de passe solide"
    body = {
        "first_name": "Ana",
        "last_name": "Lopez",
        "email": email,
        "password": password,
        "group_id": str(group_id),
    }
    async with client_session(session) as client:
        async with client.post(f"{accounts}/v1/signup", json=body) as resp:
            assert resp.status == 202, await resp.text()
        return await log_in(accounts, email, password, client)


async def log_in(
    accounts: str, email: str, password: str, session: aiohttp.ClientSession | None = None
) -> Member:
    """POST /v1/sessions then /v1/sessions/current/token, as the web does."""
    async with client_session(session) as client:
        credentials = {"email": email, "password": password}
        async with client.post(f"{accounts}/v1/sessions", json=credentials) as resp:
            assert resp.status == 201, await resp.text()
            session_id = (await resp.json())["session_id"]
        async with client.post(
            f"{accounts}/v1/sessions/current/token",
            headers={"Authorization": f"Session {session_id}"},
        ) as resp:
            assert resp.status == 200, await resp.text()
            answer = await resp.json()
    return Member(uuid.UUID(answer["user_id"]), email, answer["access_token"])


@dataclass
class Order:
    order_id: uuid.UUID
    distribution_id: uuid.UUID
    user_id: uuid.UUID


async def validate_order(ordering: str, group_id: uuid.UUID, member: Member) -> Order:
    """One piece of an unlimited product in the group's open distribution, validated (201)."""
    group = f"{ordering}/v1/groups/{group_id}"
    async with aiohttp.ClientSession(timeout=TIMEOUT, headers=member.headers) as session:
        async with session.get(f"{group}/distributions") as resp:
            assert resp.status == 200, await resp.text()
            listed = (await resp.json())["distributions"]
        distribution = next(d["distribution_id"] for d in listed if d["state"] == "open")
        base = f"{group}/distributions/{distribution}"
        async with session.get(f"{base}/offer") as resp:
            assert resp.status == 200, await resp.text()
            offer = await resp.json()
        product = next(
            p["product_id"]
            for c in offer["categories"]
            for p in c["products"]
            if not p["bulk"] and not p["out_of_stock"]
        )
        async with session.put(
            f"{base}/cart/lines/{product}",
            json={"quantity": "1"},
            headers={"Idempotency-Key": uuid.uuid4().hex},
        ) as resp:
            assert resp.status == 200, await resp.text()
        async with session.post(
            f"{base}/order/validate",
            json={"payment_method": "on_site"},
            headers={"Idempotency-Key": uuid.uuid4().hex},
        ) as resp:
            assert resp.status == 201, await resp.text()
            order = await resp.json()
    return Order(uuid.UUID(order["order_id"]), uuid.UUID(distribution), member.user_id)


# --- holding a transaction inside Postgres ------------------------------------------------------
HOLD = "fault_hold"


async def hold_rows(
    conn: asyncpg.Connection, table: str, operation: str, when: str, seconds: float = 60
) -> None:
    """A BEFORE `operation` trigger on `table` (schema-qualified) that sleeps `seconds` for each
    row matching `when` (OLD/NEW): the statement, and the transaction around it, stay open there
    until the client is gone. Postgres notices a vanished client during the sleep when the
    database sets `client_connection_check_interval` (see `notice_dead_clients`)."""
    await conn.execute(
        f"CREATE OR REPLACE FUNCTION public.{HOLD}() RETURNS trigger LANGUAGE plpgsql AS $$"
        " BEGIN PERFORM pg_sleep(TG_ARGV[0]::float8); RETURN NEW; END $$"
    )
    await conn.execute(
        f"CREATE TRIGGER {HOLD} BEFORE {operation} ON {table} FOR EACH ROW WHEN ({when})"
        f" EXECUTE FUNCTION public.{HOLD}('{seconds}')"
    )


async def release_hold(conn: asyncpg.Connection, table: str) -> None:
    await conn.execute(f"DROP TRIGGER IF EXISTS {HOLD} ON {table}")


async def notice_dead_clients(conn: asyncpg.Connection) -> None:
    """New sessions of this database check every 100 ms whether their client is still there
    while a statement runs, and abort it (rolling back) once it is gone — what TCP keepalives
    would do, later, for a killed process."""
    await conn.execute(
        "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET client_connection_check_interval"
        " = 100', current_database()); END $$"
    )


async def held_sessions(conn: asyncpg.Connection) -> int:
    """Sessions of this database sleeping in the hold trigger."""
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event = 'PgSleep'"
        )
    )


# --- what notifications did with an event -------------------------------------------------------
async def order_mail_events(conn: asyncpg.Connection, user_id: uuid.UUID) -> list[uuid.UUID]:
    """Ids of the events that queued an order mail for this member (other mails, such as the
    « distribution opened » fan-out to every member, are left out)."""
    rows = await conn.fetch(
        "SELECT event_id FROM notifications.email_outbox"
        " WHERE recipient_id = $1 AND kind = 'order_confirmation'",
        user_id,
    )
    return [r["event_id"] for r in rows]


async def mails_sent(conn: asyncpg.Connection, event_ids: list[uuid.UUID]) -> int:
    """Messages the development mail sink received for these events (their Message-ID is
    `<event id>.<row id>@…`)."""
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM notifications.sink_messages m, unnest($1::uuid[]) AS e(id)"
            " WHERE position(convert_to(e.id::text, 'UTF8') IN m.raw) > 0",
            event_ids,
        )
    )
