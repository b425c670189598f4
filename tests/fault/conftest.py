"""A seeded accounts service running as a real process, for the fault tests."""

import asyncio
import os
from collections.abc import AsyncIterator, Generator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest

from shared.auth import TokenIssuer
from shared.demo import DEMO_GROUPS
from tests.support.processes import (
    free_port,
    platform_env,
    start_logged,
    start_service,
    wait_healthy,
)
from tests.support.rabbitmq_node import RabbitNode, require_rabbitmq_server


@dataclass
class RunningService:
    base: str
    process: asyncio.subprocess.Process


def signup_body(email: str) -> dict[str, Any]:
    return {
        "first_name": "Ana",
        "last_name": "Lopez",
        "email": email,
        "password": "un mot de passe",
        "group_id": str(DEMO_GROUPS[0].id),
    }


def accounts_env(
    database_url: str, amqp_url: str, events_exchange: str, port: int, **extra: str
) -> dict[str, str]:
    """The environment of one accounts process listening on `port`; `extra`: more variables."""
    return {
        **os.environ,
        "ACCOUNTS_DATABASE_URL": database_url,
        "ACCOUNTS_AMQP_URL": amqp_url,
        "ACCOUNTS_EVENTS_EXCHANGE": events_exchange,
        "ACCOUNTS_PORT": str(port),
        "ACCOUNTS_LOG_LEVEL": "WARNING",
        **extra,
    }


@pytest.fixture
async def accounts_process(
    database_url: str, amqp_url: str, events_exchange: str
) -> AsyncIterator[RunningService]:
    port = free_port()
    env = accounts_env(database_url, amqp_url, events_exchange, port)
    seed = await start_service("accounts", env, "seed")
    assert await seed.wait() == 0
    process = await start_service("accounts", env)
    try:
        await wait_healthy(f"http://127.0.0.1:{port}")
        yield RunningService(f"http://127.0.0.1:{port}", process)
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                process.kill()
                await process.wait()


# --- a private RabbitMQ node and the whole platform on it (broker-killed, network faults) ----
@pytest.fixture
async def rabbit_node(tmp_path: Path) -> AsyncIterator[RabbitNode]:
    """A RabbitMQ node of our own (tests.support.rabbitmq_node), killed by pid at the end."""
    node = RabbitNode(tmp_path / "rabbitmq", require_rabbitmq_server())
    try:
        seconds = await node.start()
        print(f"\nrabbitmq node {node.name} started in {seconds:.1f} s (port {node.port})")
        yield node
    finally:
        node.kill()


PLATFORM = ("accounts", "ordering", "logistics", "notifications")


@dataclass
class Platform:
    """accounts, ordering, logistics and notifications as real `all` processes."""

    urls: dict[str, str]
    env: dict[str, str]
    logs: Path
    exchange: str
    issuer: TokenIssuer
    procs: dict[str, asyncio.subprocess.Process] = field(default_factory=dict)

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def tail(self, lines: int = 25) -> str:
        return "\n".join(
            f"--- {name} ---\n" + "\n".join(self.log(name).splitlines()[-lines:])
            for name in self.procs
        )

    async def relays_connected(self) -> bool:
        """Every relay holds a broker connection (the `broker_connected` gauge of /metrics)."""
        async with aiohttp.ClientSession() as session:
            for name, url in self.urls.items():
                async with session.get(f"{url}/metrics") as resp:
                    text = await resp.text()
                if f'broker_connected{{component="relay",service="{name}"}} 1.0' not in text:
                    return False
        return True

    async def stop(self) -> None:
        for proc in self.procs.values():
            if proc.returncode is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                await asyncio.wait_for(proc.wait(), 25)
            except TimeoutError:
                proc.kill()
                await proc.wait()


async def start_platform(
    database_url: str, amqp_urls: dict[str, str], exchange: str, logs: Path
) -> Platform:
    """Seeded accounts (its signing key is the test's, so the test issues tokens itself), then
    every service of PLATFORM on its own broker URL, ready (`/readyz`)."""
    issuer = TokenIssuer.generate()
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(
            "INSERT INTO accounts.signing_keys (kid, private_pem) VALUES ($1, $2)",
            issuer.key_id,
            issuer.private_pem(),
        )
    finally:
        await conn.close()
    ports = {name: free_port() for name in PLATFORM}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    smtp_port = free_port()
    env = platform_env(
        database_url=database_url,
        amqp_urls={name: amqp_urls[name] for name in PLATFORM},
        events_exchange=exchange,
        ports=ports,
        service_secret="fault-service-secret",
    )
    env.update(
        {
            "NOTIFICATIONS_DEV_MODE": "true",
            "NOTIFICATIONS_MAILSINK_PORT": str(smtp_port),
            "NOTIFICATIONS_SMTP_PORT": str(smtp_port),
            "NOTIFICATIONS_LOGISTICS_URL": urls["logistics"],
            "NOTIFICATIONS_WEB_BASE_URL": "http://127.0.0.1:9",
        }
    )
    platform = Platform(urls, env, logs, exchange, issuer)
    await asyncio.to_thread(logs.mkdir, parents=True, exist_ok=True)
    seed = await start_logged("accounts", env, logs / "accounts-seed.log", "seed")
    assert await seed.wait() == 0, (logs / "accounts-seed.log").read_text()
    for name in PLATFORM:
        platform.procs[name] = await start_logged(name, env, logs / f"{name}.log", "all")
    try:
        for name in PLATFORM:
            await wait_healthy(urls[name], seconds=60, probe="/readyz")
    except Exception:
        print(platform.tail())
        await platform.stop()
        raise
    return platform


@asynccontextmanager
async def running_platform(
    database_url: str, amqp_urls: dict[str, str], exchange: str, logs: Path
) -> AsyncIterator[Platform]:
    """`start_platform`, stopped after the block; if the block fails, the last lines of every
    service's log are printed first (they tell what went wrong)."""
    platform = await start_platform(database_url, amqp_urls, exchange, logs)
    try:
        yield platform
    except BaseException:
        print(platform.tail())
        raise
    finally:
        await platform.stop()


# --- processes killed one by one (relay killed, consumer killed, poison messages) ------------
from tests.support.fault_stack import FaultStack  # noqa: E402

TEST_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item,
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Marks the test whose body failed, for the `fault_stack` fixture's teardown."""
    report = yield
    if report.when == "call" and report.failed:
        item.stash[TEST_FAILED] = True
    return report


@pytest.fixture
async def fault_stack(
    request: pytest.FixtureRequest,
    database_url: str,
    amqp_url: str,
    events_exchange: str,
    tmp_path: Path,
) -> AsyncIterator[FaultStack]:
    """Processes of a kill scenario (tests.support.fault_stack), all ended after the test; their
    logs stay under the test's tmp_path. If the test failed, the last lines of every process's
    log are printed first (what they logged tells what went wrong)."""
    stack = FaultStack(database_url, amqp_url, events_exchange, tmp_path)
    try:
        yield stack
    finally:
        if request.node.stash.get(TEST_FAILED, False):
            print(stack.tails())
        await stack.close()
        print(f"logs: {tmp_path}")
