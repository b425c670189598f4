"""Rolling restart behind a real load balancer, every process real, under steady traffic.

HAProxy (Debian's package) in front of two `api` replicas each of web, ordering and logistics,
health-checked on /readyz; one `accounts` and one `notifications` process (`all`), one
`worker` each for ordering and logistics. The web replicas reach ordering and logistics through
HAProxy too. While a fixed number of clients loop — order validations through ordering's API,
slot bookings and releases through logistics' API, page loads and « Commande » through the web —
every api replica is restarted in turn, twice (SIGTERM, wait for exit 0, start a new one on the
same port, wait until HAProxy sees it UP), and each worker once.

Printed and asserted at the end: failed requests 0 (a refused or reset connection, a timeout, a
5xx or any unexpected status; clients never retry), orders and bookings lost 0, events lost 0,
effects applied twice 0.
"""

import asyncio
import collections
import contextlib
import html
import os
import random
import re
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest

from shared.demo import DEMO_GROUPS, DEMO_PASSWORD
from tests.conftest import EventSink
from tests.load.common import percentile
from tests.support import haproxy
from tests.support.fault_stack import Member, log_in, sign_up
from tests.support.processes import LoggedProcess, free_port, run_logged

COCUS = DEMO_GROUPS[0]
DRAIN_SECONDS = 2.0  # > HAProxy's inter x fall + a check's duration: out before it stops
SHUTDOWN_TIMEOUT = 10.0
ROUNDS = 2
API_MEMBERS = 20
WEB_MEMBERS = 2
EXTRA_DISTRIBUTIONS = 30  # besides the demo's open one: member x distribution = one order each
ORDER_CLIENTS = 3
BOOKING_CLIENTS = 2
WEB_CLIENTS = WEB_MEMBERS
THINK_SECONDS = 0.1  # between two iterations of one client
CLIENT_TIMEOUT = aiohttp.ClientTimeout(total=30)
REPLICATED = ("web", "ordering", "logistics")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

pytestmark = pytest.mark.skipif(
    not haproxy.available() and os.environ.get("REQUIRE_INFRA") != "1",
    reason=f"{haproxy.HAPROXY} missing (make test installs it)",
)


# --- processes ------------------------------------------------------------------------------
@dataclass
class Service(LoggedProcess):
    """One process of ours: `python -m services.<name> <command>`, its log in `logs`."""

    terminated: bool = False

    async def start(self) -> None:
        self.terminated = False
        await super().start()

    async def wait_ready(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                assert self.process is not None
                if self.process.returncode is not None:
                    raise RuntimeError(
                        f"{self.label} exited with {self.process.returncode}:\n{self.tail()}"
                    )
                with contextlib.suppress(aiohttp.ClientError):
                    async with session.get(f"{self.base}/readyz") as resp:
                        if resp.status == 200:
                            return
                await asyncio.sleep(0.1)
        raise TimeoutError(f"{self.label}: /readyz not 200 within {seconds} s\n{self.tail()}")

    def terminate(self) -> None:
        """One SIGTERM (an orchestrator sends one, then SIGKILL past its grace period)."""
        assert self.process is not None
        if self.process.returncode is None and not self.terminated:
            self.terminated = True
            self.process.send_signal(signal.SIGTERM)

    async def stop(self) -> int:
        """SIGTERM unless sent already, then its exit code (killed past the shutdown timeout
        + 10 s)."""
        assert self.process is not None
        self.terminate()
        if self.process.returncode is None:
            try:
                await asyncio.wait_for(self.process.wait(), SHUTDOWN_TIMEOUT + 10)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        assert self.process.returncode is not None
        return self.process.returncode


def service_env(
    database_url: str, amqp_url: str, events_exchange: str, ports: dict[str, int], lb: str
) -> dict[str, str]:
    env = dict(os.environ)
    accounts = f"http://127.0.0.1:{ports['accounts']}"
    for name in ("accounts", "ordering", "logistics", "notifications", "web"):
        prefix = name.upper()
        env.update(
            {
                f"{prefix}_DATABASE_URL": database_url,
                f"{prefix}_AMQP_URL": amqp_url,
                f"{prefix}_EVENTS_EXCHANGE": events_exchange,
                f"{prefix}_ACCOUNTS_URL": accounts,
                f"{prefix}_SERVICE_SECRET": "rolling-restart-secret",
                f"{prefix}_LOG_LEVEL": "WARNING",
                f"{prefix}_DRAIN_SECONDS": str(DRAIN_SECONDS),
                f"{prefix}_SHUTDOWN_TIMEOUT": str(SHUTDOWN_TIMEOUT),
                f"{prefix}_DB_POOL_MAX": "6",
            }
        )
    env.update(
        {
            "ACCOUNTS_PORT": str(ports["accounts"]),
            "NOTIFICATIONS_PORT": str(ports["notifications"]),
            "ORDERING_SCHEDULER_INTERVAL": "1",
            "NOTIFICATIONS_DEV_MODE": "true",
            "NOTIFICATIONS_MAILSINK_PORT": str(ports["smtp"]),
            "NOTIFICATIONS_SMTP_PORT": str(ports["smtp"]),
            "NOTIFICATIONS_LOGISTICS_URL": f"{lb}:{ports['lb_logistics']}",
            "NOTIFICATIONS_WEB_BASE_URL": f"{lb}:{ports['lb_web']}",
            "WEB_DEV_MODE": "true",
            "WEB_CSRF_SECRET": "rolling-restart-csrf",
            "WEB_ORDERING_URL": f"{lb}:{ports['lb_ordering']}",
            "WEB_LOGISTICS_URL": f"{lb}:{ports['lb_logistics']}",
            "WEB_NOTIFICATIONS_URL": f"http://127.0.0.1:{ports['notifications']}",
            "WEB_BASE_URL": f"{lb}:{ports['lb_web']}",
        }
    )
    return env


@dataclass
class Platform:
    env: dict[str, str]
    logs: Path
    lb: haproxy.HAProxy
    singles: dict[str, Service] = field(default_factory=dict)  # accounts, notifications
    workers: dict[str, Service] = field(default_factory=dict)  # ordering, logistics
    replicas: dict[str, list[Service]] = field(default_factory=dict)
    startup_seconds: float = 0.0

    def every(self) -> list[Service]:
        return [
            *self.singles.values(),
            *self.workers.values(),
            *(s for group in self.replicas.values() for s in group),
        ]

    def tails(self) -> str:
        return "\n".join(f"--- {s.label} ---\n{s.tail()}" for s in self.every())


async def run_once(name: str, command: str, env: dict[str, str], logs: Path) -> None:
    await run_logged(name, env, logs / f"{name}-{command}.log", command)


@pytest.fixture
async def platform(
    database_url: str, amqp_url: str, events_exchange: str, event_sink: EventSink
) -> AsyncIterator[Platform]:
    names = ("accounts", "notifications", "smtp", "lb_web", "lb_ordering", "lb_logistics")
    ports = {name: free_port() for name in names}
    env = service_env(database_url, amqp_url, events_exchange, ports, "http://127.0.0.1")
    logs = Path(tempfile.mkdtemp(prefix="vrac-rolling-"))
    backends = []
    replicas: dict[str, list[Service]] = {}
    for name in REPLICATED:
        servers = {f"{name}{i}": free_port() for i in (1, 2)}
        backends.append(haproxy.Backend(name, ports[f"lb_{name}"], servers))
        replicas[name] = [
            Service(name, "api", {**env, f"{name.upper()}_PORT": str(port)}, port, logs, label)
            for label, port in servers.items()
        ]
    running = Platform(env, logs, haproxy.HAProxy(logs, backends), replicas=replicas)
    for name in ("accounts", "notifications"):
        running.singles[name] = Service(name, "all", env, ports[name], logs, name)
    for name in ("ordering", "logistics"):
        port = free_port()
        worker_env = {**env, f"{name.upper()}_WORKER_PORT": str(port)}
        running.workers[name] = Service(name, "worker", worker_env, port, logs, f"{name}-worker")
    began = time.monotonic()
    try:
        # The database is a clone of the migrated template; each process still runs its
        # migrations (a no-op here) under the advisory lock.
        await asyncio.gather(*(run_once(n, "seed", env, logs) for n in ("accounts", "ordering")))
        for service in running.every():
            await service.start()
        for service in running.every():
            await service.wait_ready()
        running.lb.start()
        await running.lb.wait_all_up()
        running.startup_seconds = time.monotonic() - began
        yield running
    except BaseException:
        print(running.tails(), file=sys.stderr)
        raise
    finally:
        for service in running.every():
            if service.process is not None:
                service.terminate()
        for service in running.every():
            if service.process is not None and service.process.returncode is None:
                try:
                    await asyncio.wait_for(service.process.wait(), SHUTDOWN_TIMEOUT + 5)
                except TimeoutError:
                    service.process.kill()
                    await service.process.wait()
        await asyncio.to_thread(running.lb.stop)
        print(f"logs: {logs}")


# --- traffic --------------------------------------------------------------------------------
@dataclass
class Traffic:
    """What the clients did: statuses and latencies per kind, every failure with its phase."""

    # What each restart sequence is doing (web, ordering, logistics, workers run side by side).
    phases: dict[str, str] = field(default_factory=dict)
    statuses: dict[str, collections.Counter[int]] = field(
        default_factory=lambda: collections.defaultdict(collections.Counter)
    )
    latencies: dict[str, list[float]] = field(default_factory=lambda: collections.defaultdict(list))
    failures: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def fail(self, kind: str, method: str, url: str, what: str) -> None:
        at = time.monotonic() - self.started
        phase = "; ".join(p for p in self.phases.values() if p) or "no restart running"
        self.failures.append(f"t={at:6.2f}s [{phase}] {kind}: {method} {url} -> {what}")

    async def call(
        self,
        session: aiohttp.ClientSession,
        kind: str,
        method: str,
        url: str,
        expected: tuple[int, ...],
        **kwargs: Any,
    ) -> tuple[int, bytes]:
        """One request, never retried: a connection error or an unexpected status is a failure."""
        started = time.perf_counter()
        try:
            async with session.request(method, url, **kwargs) as resp:
                body = await resp.read()
                status = resp.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.statuses[kind][0] += 1
            self.fail(kind, method, url, f"{type(exc).__name__}: {exc}")
            return 0, b""
        self.latencies[kind].append(time.perf_counter() - started)
        self.statuses[kind][status] += 1
        if status not in expected:
            self.fail(kind, method, url, f"HTTP {status} {body[:200]!r}")
        return status, body

    def total(self, kind: str | None = None) -> int:
        kinds = [kind] if kind else list(self.statuses)
        return sum(sum(self.statuses[k].values()) for k in kinds)


@dataclass
class Ledger:
    """What the clients know was done, to compare with the databases at the end."""

    # (user, distribution) -> quantity of the product every validation confirmed
    ordered: dict[tuple[uuid.UUID, uuid.UUID], int] = field(default_factory=dict)
    created: int = 0  # validations answered 201
    amended: int = 0  # validations answered 200 (the order grew by one)
    uncertain: set[tuple[uuid.UUID, uuid.UUID]] = field(default_factory=set)
    # (user, distribution) -> the slot booked (None: released)
    booked: dict[tuple[uuid.UUID, uuid.UUID], uuid.UUID | None] = field(default_factory=dict)
    bookings: int = 0  # 201
    releases: int = 0  # 204
    full: int = 0  # 409: slot full, an expected answer
    uncertain_bookings: set[tuple[uuid.UUID, uuid.UUID]] = field(default_factory=set)


async def sign_up_members(accounts: str, count: int) -> list[Member]:
    gate = asyncio.Semaphore(4)
    async with aiohttp.ClientSession() as session:

        async def one() -> Member:
            async with gate:
                return await sign_up(accounts, COCUS.id, session)

        return list(await asyncio.gather(*(one() for _ in range(count))))


async def create_distributions(accounts: str, ordering: str, count: int) -> list[uuid.UUID]:
    """The demo's open distribution plus `count` more, open now, created by the coordinator."""
    base = f"{ordering}/v1/groups/{COCUS.id}"
    async with aiohttp.ClientSession() as session:
        coordinator = await log_in(accounts, COCUS.coordinator_email, DEMO_PASSWORD, session)
        async with session.get(f"{base}/products", headers=coordinator.headers) as resp:
            assert resp.status == 200, await resp.text()
            products = (await resp.json())["products"]
        offered = [{"product_id": p["product_id"]} for p in products if p["active"]]
        now = datetime.now(UTC).replace(microsecond=0)
        day = (now + timedelta(days=3)).replace(hour=11, minute=0, second=0)
        created = []
        for i in range(count):
            body = {
                "starts_at": (day + timedelta(days=i)).isoformat(),
                "ends_at": (day + timedelta(days=i, hours=2)).isoformat(),
                "opens_at": (now - timedelta(hours=1)).isoformat(),
                "closes_at": (now + timedelta(days=2)).isoformat(),
                "place_name": f"Salle {i}",
                "place_address": "3 rue des Lilas, Toulouse",
                "products": offered,
            }
            async with session.post(
                f"{base}/distributions", json=body, headers=coordinator.headers
            ) as resp:
                assert resp.status == 201, await resp.text()
                created.append(uuid.UUID((await resp.json())["distribution_id"]))
        async with session.get(f"{base}/distributions", headers=coordinator.headers) as resp:
            listed = (await resp.json())["distributions"]
        demo_open = [
            uuid.UUID(d["distribution_id"])
            for d in listed
            if d["state"] == "open" and uuid.UUID(d["distribution_id"]) not in created
        ]
    return demo_open + created


async def unlimited_product(ordering: str, member: Member, distribution: uuid.UUID) -> str:
    """A product sold by the piece with no stock limit (the validations never run short)."""
    url = f"{ordering}/v1/groups/{COCUS.id}/distributions/{distribution}/offer"
    async with aiohttp.ClientSession() as session, session.get(url, headers=member.headers) as r:
        offer = await r.json()
    candidates = [
        p
        for c in offer["categories"]
        for p in c["products"]
        if not p["bulk"] and not p["out_of_stock"]
    ]
    assert candidates, offer
    return str(candidates[0]["product_id"])


async def wait_for_slots(
    logistics: str, member: Member, distributions: list[uuid.UUID], seconds: float = 30
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Logistics learns of the distributions from ordering's events: wait for every slot list."""
    slots: dict[uuid.UUID, list[uuid.UUID]] = {}
    deadline = time.monotonic() + seconds
    async with aiohttp.ClientSession() as session:
        for distribution in distributions:
            url = f"{logistics}/v1/groups/{COCUS.id}/distributions/{distribution}/slots"
            while True:
                async with session.get(url, headers=member.headers) as resp:
                    if resp.status == 200:
                        answer = await resp.json()
                        if answer["slots"] and answer.get("state", "open") == "open":
                            slots[distribution] = [uuid.UUID(s["slot_id"]) for s in answer["slots"]]
                            break
                if time.monotonic() > deadline:
                    raise AssertionError(f"no open slots for {distribution} in logistics")
                await asyncio.sleep(0.3)
    return slots


async def order_client(
    traffic: Traffic,
    ledger: Ledger,
    ordering: str,
    pairs: list[tuple[Member, uuid.UUID]],
    product: str,
    seed: int,
    stop: asyncio.Event,
) -> None:
    """Set the cart line one above what is validated, then validate with an Idempotency-Key:
    201 the first time (the order is created), 200 afterwards (it grows by one). Creations and
    amendments alternate, so that orders are created all along the restarts."""
    rng = random.Random(seed)
    fresh = iter(pairs)
    done: list[tuple[Member, uuid.UUID]] = []
    connector = aiohttp.TCPConnector(limit=4, keepalive_timeout=5)
    async with aiohttp.ClientSession(connector=connector, timeout=CLIENT_TIMEOUT) as session:
        i = 0
        while not stop.is_set():
            i += 1
            pair = next(fresh, None) if i % 2 or not done else None
            if pair is None:
                if not done:
                    return
                pair = rng.choice(done)
            member, distribution = pair
            key = (member.user_id, distribution)
            if key in ledger.uncertain or ledger.ordered.get(key, 0) >= 90:
                continue
            base = f"{ordering}/v1/groups/{COCUS.id}/distributions/{distribution}"
            quantity = ledger.ordered.get(key, 0) + 1
            status, _ = await traffic.call(
                session,
                "ordering cart",
                "PUT",
                f"{base}/cart/lines/{product}",
                (200,),
                json={"quantity": str(quantity)},
                headers={**member.headers, "Idempotency-Key": uuid.uuid4().hex},
            )
            if status == 200:
                status, _ = await traffic.call(
                    session,
                    "ordering validation",
                    "POST",
                    f"{base}/order/validate",
                    (200,) if key in ledger.ordered else (201,),
                    json={"payment_method": "on_site"},
                    headers={**member.headers, "Idempotency-Key": uuid.uuid4().hex},
                )
                if status == 201:
                    ledger.created += 1
                    ledger.ordered[key] = quantity
                    done.append(pair)
                elif status == 200:
                    ledger.amended += 1
                    ledger.ordered[key] = quantity
                else:
                    ledger.uncertain.add(key)
            await asyncio.sleep(THINK_SECONDS)


async def booking_client(
    traffic: Traffic,
    ledger: Ledger,
    logistics: str,
    pairs: list[tuple[Member, uuid.UUID]],
    slots: dict[uuid.UUID, list[uuid.UUID]],
    seed: int,
    stop: asyncio.Event,
) -> None:
    """Book a slot (201, or 409 when full), later release it (204), book again…"""
    rng = random.Random(seed)
    connector = aiohttp.TCPConnector(limit=4, keepalive_timeout=5)
    async with aiohttp.ClientSession(connector=connector, timeout=CLIENT_TIMEOUT) as session:
        while not stop.is_set():
            member, distribution = rng.choice(pairs)
            key = (member.user_id, distribution)
            if key in ledger.uncertain_bookings:
                continue
            url = f"{logistics}/v1/groups/{COCUS.id}/distributions/{distribution}/booking"
            if ledger.booked.get(key) is None:
                slot = rng.choice(slots[distribution])
                status, _ = await traffic.call(
                    session,
                    "logistics booking",
                    "POST",
                    url,
                    (201, 409),
                    json={"slot_id": str(slot)},
                    headers={**member.headers, "Idempotency-Key": uuid.uuid4().hex},
                )
                if status == 201:
                    ledger.bookings += 1
                    ledger.booked[key] = slot
                elif status == 409:
                    ledger.full += 1
                else:
                    ledger.uncertain_bookings.add(key)
            else:
                status, _ = await traffic.call(
                    session, "logistics release", "DELETE", url, (204,), headers=member.headers
                )
                if status == 204:
                    ledger.releases += 1
                    ledger.booked[key] = None
                else:
                    ledger.uncertain_bookings.add(key)
            await asyncio.sleep(THINK_SECONDS)


class WebMember:
    """A member's browser: its own cookies, forms posted with their CSRF token."""

    def __init__(self, traffic: Traffic, base: str) -> None:
        self.traffic = traffic
        self.base = base
        self.session = aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True),
            connector=aiohttp.TCPConnector(limit=2, keepalive_timeout=5),
            timeout=CLIENT_TIMEOUT,
        )

    async def close(self) -> None:
        await self.session.close()

    async def sign_up(self, email: str) -> None:
        async with self.session.get(f"{self.base}/inscription?groupe={COCUS.slug}") as resp:
            csrf = csrf_token(await resp.text())
        form = {
            "first_name": "Sarah",
            "last_name": "Varda",
            "email": email,
            "password": "un-mot-de-passe-solide",
            "phone": "0606060606",
            "street": "3 rue des Lilas",
            "postcode": "31200",
            "city": "Toulouse",
            "csrf_token": csrf,
        }
        async with self.session.post(
            f"{self.base}/inscription?groupe={COCUS.slug}", data=form
        ) as resp:
            assert resp.status == 200 and "/commandes" in str(resp.url), await resp.text()

    async def loop(self, distribution: uuid.UUID, product: str, stop: asyncio.Event) -> None:
        path = f"/g/{COCUS.slug}/d/{distribution}"
        quantity = 0
        while not stop.is_set():
            await self.traffic.call(
                self.session,
                "web page",
                "GET",
                f"{self.base}/g/{COCUS.slug}/commandes",
                (200,),
            )
            status, body = await self.traffic.call(
                self.session, "web page", "GET", f"{self.base}{path}", (200,)
            )
            if status == 200:
                quantity = quantity % 5 + 1
                form = {
                    "product_id": product,
                    "base": "0",
                    "idem": uuid.uuid4().hex,
                    "quantity": str(quantity),
                    "csrf_token": csrf_token(body.decode()),
                }
                # « Commande »: 303 to the order page, followed (both must succeed).
                await self.traffic.call(
                    self.session, "web cart", "POST", f"{self.base}{path}/panier", (200,), data=form
                )
            await asyncio.sleep(THINK_SECONDS)


def csrf_token(text: str) -> str:
    found = CSRF.search(text)
    assert found, text[:500]
    return html.unescape(found.group(1))


# --- restarts -------------------------------------------------------------------------------
@dataclass
class Restart:
    label: str
    down_after: float  # SIGTERM -> HAProxy marks it DOWN
    exited_after: float  # SIGTERM -> exit
    code: int
    ready_after: float  # new process started -> /readyz 200
    up_after: float  # new process started -> HAProxy marks it UP


async def restart_replica(
    platform: Platform, traffic: Traffic, service: Service, round_: int
) -> Restart:
    backend = service.name
    assert service.process is not None
    traffic.phases[backend] = f"round {round_} {service.label} draining"
    signalled = time.monotonic()
    service.terminate()
    down_after = await platform.lb.wait_for(backend, service.label, "DOWN", SHUTDOWN_TIMEOUT)
    traffic.phases[backend] = f"round {round_} {service.label} DOWN, stopping"
    code = await service.stop()
    exited_after = time.monotonic() - signalled
    traffic.phases[backend] = f"round {round_} {service.label} starting"
    started = time.monotonic()
    await service.start()
    await service.wait_ready()
    ready_after = time.monotonic() - started
    traffic.phases[backend] = f"round {round_} {service.label} ready, waiting for UP"
    await platform.lb.wait_for(backend, service.label, "UP", 10)
    up_after = time.monotonic() - started
    traffic.phases[backend] = ""
    return Restart(service.label, down_after, exited_after, code, ready_after, up_after)


async def restart_worker(traffic: Traffic, service: Service) -> Restart:
    traffic.phases["workers"] = f"{service.label} stopping"
    signalled = time.monotonic()
    code = await service.stop()
    exited_after = time.monotonic() - signalled
    traffic.phases["workers"] = f"{service.label} starting"
    started = time.monotonic()
    await service.start()
    await service.wait_ready()
    ready_after = time.monotonic() - started
    traffic.phases["workers"] = ""
    return Restart(service.label, 0.0, exited_after, code, ready_after, ready_after)


# --- the test -------------------------------------------------------------------------------
async def test_rolling_restart_behind_haproxy_drops_nothing(
    platform: Platform, database_url: str, event_sink: EventSink
) -> None:
    began = time.monotonic()
    lb = platform.lb
    accounts = platform.singles["accounts"].base
    ordering, logistics, web = lb.url("ordering"), lb.url("logistics"), lb.url("web")
    members = await sign_up_members(accounts, API_MEMBERS)
    distributions = await create_distributions(accounts, ordering, EXTRA_DISTRIBUTIONS)
    product = await unlimited_product(ordering, members[0], distributions[0])
    slots = await wait_for_slots(logistics, members[0], distributions)
    traffic = Traffic()
    browsers = [WebMember(traffic, web) for _ in range(WEB_MEMBERS)]
    for i, browser in enumerate(browsers):
        await browser.sign_up(f"web{i}-{uuid.uuid4().hex[:6]}@example.org")
    setup_seconds = time.monotonic() - began

    ledger = Ledger()
    stop = asyncio.Event()
    pairs = [(m, d) for d in distributions for m in members]
    clients = [
        asyncio.create_task(
            order_client(traffic, ledger, ordering, pairs[i::ORDER_CLIENTS], product, i, stop)
        )
        for i in range(ORDER_CLIENTS)
    ]
    clients += [
        asyncio.create_task(
            booking_client(traffic, ledger, logistics, pairs[i::BOOKING_CLIENTS], slots, i, stop)
        )
        for i in range(BOOKING_CLIENTS)
    ]
    clients += [
        asyncio.create_task(browser.loop(distributions[0], product, stop)) for browser in browsers
    ]
    restarts: list[Restart] = []

    async def rolling(name: str) -> None:
        """One service's replicas one after the other, twice."""
        for round_ in range(1, ROUNDS + 1):
            for service in platform.replicas[name]:
                restarts.append(await restart_replica(platform, traffic, service, round_))
                await asyncio.sleep(0.2)

    async def workers() -> None:
        for name in ("ordering", "logistics"):
            await asyncio.sleep(2)
            restarts.append(await restart_worker(traffic, platform.workers[name]))

    traffic_started = time.monotonic()
    try:
        await asyncio.sleep(1)
        # The three services roll at the same time (as an orchestrator rolls its deployments),
        # each keeping one replica in service; the workers restart meanwhile.
        await asyncio.gather(*(rolling(name) for name in REPLICATED), workers())
        await asyncio.sleep(1)
    finally:
        stop.set()
        await asyncio.gather(*clients, return_exceptions=True)
        for browser in browsers:
            await browser.close()
    traffic_seconds = time.monotonic() - traffic_started

    # --- what the databases and the integrator's queue hold ---------------------------------
    user_ids = [m.user_id for m in members]
    conn = await asyncpg.connect(database_url)
    try:
        orders = await conn.fetch(
            "SELECT o.id, o.user_id, o.distribution_id, o.total_cents,"
            " (SELECT coalesce(sum(quantity), 0) FROM ordering.order_lines l"
            "  WHERE l.order_id = o.id AND l.product_id = $2::uuid) AS quantity,"
            " (SELECT coalesce(sum(amount_cents), 0) FROM ordering.ledger_entries e"
            "  WHERE e.order_id = o.id) AS debited"
            " FROM ordering.orders o WHERE o.user_id = ANY($1::uuid[])",
            user_ids,
            uuid.UUID(product),
        )
        bookings = await conn.fetch(
            "SELECT user_id, distribution_id, slot_id FROM logistics.bookings"
            " WHERE user_id = ANY($1::uuid[])",
            user_ids,
        )
        bad_counters = await conn.fetchval(
            "SELECT count(*) FROM logistics.slots s WHERE s.booked <> (SELECT count(*)"
            " FROM logistics.bookings b WHERE b.slot_id = s.id) OR s.booked > s.capacity"
        )
    finally:
        await conn.close()

    by_pair = {(r["user_id"], r["distribution_id"]): r for r in orders}
    certain = {k: q for k, q in ledger.ordered.items() if k not in ledger.uncertain}
    orders_lost = sum(1 for k in certain if k not in by_pair)
    quantity_short = sum(
        1 for k, q in certain.items() if k in by_pair and by_pair[k]["quantity"] < q
    )
    quantity_over = sum(
        1 for k, q in certain.items() if k in by_pair and by_pair[k]["quantity"] > q
    )
    debit_mismatch = sum(1 for r in orders if r["debited"] != -r["total_cents"])
    unknown_orders = sum(1 for k in by_pair if k not in ledger.ordered)
    held = {(r["user_id"], r["distribution_id"]): r["slot_id"] for r in bookings}
    expected_held = {
        k: s
        for k, s in ledger.booked.items()
        if s is not None and k not in ledger.uncertain_bookings
    }
    bookings_lost = sum(1 for k, s in expected_held.items() if held.get(k) != s)
    bookings_extra = sum(
        1 for k in held if k not in ledger.uncertain_bookings and ledger.booked.get(k) is None
    )

    ours = {str(u) for u in user_ids}
    expected_events = {
        "ordering.order.validated.v1": ledger.created,
        "ordering.order.updated.v1": ledger.amended,
        "logistics.slot.booked.v1": ledger.bookings,
        "logistics.slot.released.v1": ledger.releases,
    }

    def ours_by_type() -> dict[str, set[str]]:
        found: dict[str, set[str]] = collections.defaultdict(set)
        for e in event_sink.events:
            if e["type"] in expected_events and str(e.get("data", {}).get("user_id")) in ours:
                found[e["type"]].add(e["id"])
        return found

    for _ in range(60):  # the relays publish what is left in the outboxes: up to 30 s
        if all(len(ours_by_type()[t]) >= n for t, n in expected_events.items()):
            break
        await asyncio.sleep(0.5)
    await asyncio.sleep(1)  # late duplicates
    received = ours_by_type()
    events_lost = sum(max(0, n - len(received[t])) for t, n in expected_events.items())
    events_extra = sum(max(0, len(received[t]) - n) for t, n in expected_events.items())
    validated_orders = {
        str(e["data"]["order_id"])
        for e in event_sink.events
        if e["type"] == "ordering.order.validated.v1" and str(e["data"].get("user_id")) in ours
    }
    orders_without_event = sum(1 for r in orders if str(r["id"]) not in validated_orders)
    ids = collections.Counter(e["id"] for e in event_sink.events)
    transport_duplicates = sum(n - 1 for n in ids.values() if n > 1)

    log = haproxy.summarize_log(lb.log_lines())
    failed = len(traffic.failures)
    all_latencies = [x for values in traffic.latencies.values() for x in values]

    print()
    print(
        f"processes started in {platform.startup_seconds:.1f} s, setup {setup_seconds:.1f} s,"
        f" traffic {traffic_seconds:.1f} s"
        f" ({ORDER_CLIENTS} validation, {BOOKING_CLIENTS} booking, {WEB_CLIENTS} web clients),"
        f" drain {DRAIN_SECONDS:g} s, health check every {haproxy.CHECK_INTER_MS} ms"
        f" fall {haproxy.FALL} rise {haproxy.RISE}"
    )
    for r in restarts:
        if "worker" in r.label:
            print(
                f"restart {r.label}: exit {r.code} after {r.exited_after:.2f} s,"
                f" new one ready in {r.ready_after:.2f} s"
            )
            continue
        print(
            f"restart {r.label}: DOWN in haproxy after {r.down_after:.2f} s, exit {r.code}"
            f" after {r.exited_after:.2f} s, new one ready in {r.ready_after:.2f} s,"
            f" UP in haproxy after {r.up_after:.2f} s"
        )
    print(f"replica restarts {sum(1 for r in restarts if 'worker' not in r.label)}")
    print(f"worker restarts {sum(1 for r in restarts if 'worker' in r.label)}")
    for kind in sorted(traffic.statuses):
        lat = [x * 1000 for x in traffic.latencies[kind]]
        print(
            f"requests {kind} {traffic.total(kind)} statuses"
            f" {dict(sorted(traffic.statuses[kind].items()))}"
            f" p50 {percentile(lat, 50):.1f} ms p99 {percentile(lat, 99):.1f} ms"
        )
    print(f"requests total {traffic.total()}")
    print(
        f"latency p50 {percentile(all_latencies, 50) * 1000:.1f} ms"
        f" p99 {percentile(all_latencies, 99) * 1000:.1f} ms"
        f" max {max(all_latencies, default=0) * 1000:.1f} ms"
    )
    print(f"failed requests {failed}")
    for line in traffic.failures[:30]:
        print(f"  {line}")
    print(
        f"validations created {ledger.created}, amended {ledger.amended};"
        f" orders in database {len(orders)}"
    )
    print(f"orders lost {orders_lost}")
    print(f"order quantities short {quantity_short}")
    print(
        f"bookings {ledger.bookings}, releases {ledger.releases}, full {ledger.full};"
        f" held in database {len(held)}"
    )
    print(f"bookings lost {bookings_lost}")
    print(
        "events expected "
        + ", ".join(f"{t} {n}" for t, n in expected_events.items())
        + "; received (distinct) "
        + ", ".join(f"{t} {len(received[t])}" for t in expected_events)
    )
    print(f"events lost {events_lost}")
    print(f"orders without a validated event {orders_without_event}")
    print(f"duplicates at transport level {transport_duplicates}")
    twice = quantity_over + debit_mismatch + unknown_orders + bookings_extra + bad_counters
    twice += events_extra
    print(
        f"effects applied twice {twice} (order quantities over {quantity_over}, debits not"
        f" matching totals {debit_mismatch}, orders nobody got a 201 for {unknown_orders},"
        f" bookings held after release {bookings_extra}, slot counters off {bad_counters},"
        f" extra events {events_extra})"
    )
    print(
        f"haproxy: {log.requests} requests logged, {log.retried} retried"
        f" ({log.redispatched} redispatched), {len(log.failed)} failed"
    )
    for line in log.failed[:20]:
        print(f"  haproxy: {line}")
    transitions = [e for e in log.events if not e.startswith("[") and " is " in e]
    print(
        f"haproxy: {sum(' is DOWN' in e for e in transitions)} replicas marked DOWN,"
        f" {sum(' is UP' in e for e in transitions)} marked UP"
    )
    if failed or log.failed:
        for line in log.events:
            print(f"  haproxy: {line}")
    print(f"test wall time {time.monotonic() - began:.1f} s (processes' start excluded)")

    assert [r.code for r in restarts] == [0] * len(restarts), restarts
    assert failed == 0, traffic.failures[:30]
    assert traffic.total("ordering validation") > 0 and traffic.total("logistics booking") > 0
    assert traffic.total("web page") > 0 and traffic.total("web cart") > 0
    assert orders_lost == 0 and quantity_short == 0
    assert bookings_lost == 0
    assert events_lost == 0 and orders_without_event == 0
    assert twice == 0
