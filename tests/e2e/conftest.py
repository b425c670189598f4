"""Every service as a real process (`python -m services.<name>`) on free ports, against a fresh
database cloned from the migrated template and a per-run exchange; pages driven in headless
Chromium (Debian's package) through Playwright."""

import asyncio
import json
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aio_pika
import pytest

from shared.amqp import declare_events_exchange
from tests.support.infra import ROOT, database_from_template
from tests.support.processes import free_port, platform_env
from tests.support.topology import delete_event_topology

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
SERVICES = ("accounts", "logistics", "ordering", "notifications", "web")


@dataclass
class Processes:
    urls: dict[str, str]
    mail_url: str
    logs: Path
    env: dict[str, str]
    amqp_url: str = ""
    # An integrator-style queue bound to every event of the run, for the personal-data audit.
    audit_queue: str = ""
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    async def event_bodies(self) -> list[bytes]:
        """Every event published so far (drains the audit queue)."""
        bodies = []
        connection = await aio_pika.connect(self.amqp_url)
        try:
            queue = await (await connection.channel()).get_queue(self.audit_queue)
            while (message := await queue.get(no_ack=True, fail=False)) is not None:
                bodies.append(message.body)
        finally:
            await connection.close()
        return bodies

    def tail(self, lines: int = 30) -> str:
        out = []
        for name in SERVICES:
            path = self.logs / f"{name}.log"
            if path.exists():
                out.append(f"--- {name} ---")
                out += path.read_text(errors="replace").splitlines()[-lines:]
        return "\n".join(out)

    def seed_logistics(self) -> None:
        """The tutorial's 3 places at 16:45 (once logistics has the distributions' slots)."""
        with (self.logs / "logistics-seed.log").open("wb") as log:
            subprocess.run(
                [sys.executable, "-m", "services.logistics", "seed"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                check=True,
                timeout=120,
            )

    def mails(self) -> list[dict[str, Any]]:
        with urllib.request.urlopen(self.mail_url, timeout=5) as resp:
            return list(json.loads(resp.read())["messages"])

    async def wait_for_mail(self, predicate: Any, seconds: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            found = [m for m in await asyncio.to_thread(self.mails) if predicate(m)]
            if found:
                return found[0]
            await asyncio.sleep(0.5)
        raise AssertionError(
            "no such mail; mails: " + json.dumps(await asyncio.to_thread(self.mails))[:3000]
        )


def _spawn(name: str, env: dict[str, str], logs: Path) -> "subprocess.Popen[bytes]":
    with (logs / f"{name}.log").open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", f"services.{name}", "all"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def _chromium_installed() -> bool:
    return Path(CHROMIUM).exists()


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not become healthy")


@pytest.fixture(scope="session")
async def e2e_database(infra: tuple[str, str], template_database: str) -> AsyncIterator[str]:
    async with database_from_template(infra[0], template_database, "vrac_e2e") as url:
        yield url


@pytest.fixture(scope="session")
async def processes(infra: tuple[str, str], e2e_database: str) -> AsyncIterator[Processes]:
    prefix = f"e{uuid.uuid4().hex[:10]}."
    ports = {name: free_port() for name in SERVICES}
    smtp_port = free_port()
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    env = platform_env(
        database_url=e2e_database,
        amqp_urls=dict.fromkeys(SERVICES, infra[1]),
        events_exchange=f"{prefix}vrac.events",
        ports=ports,
        service_secret="e2e-service-secret",
    )
    env.update(
        {
            "ORDERING_SCHEDULER_INTERVAL": "1",
            "NOTIFICATIONS_DEV_MODE": "true",
            "NOTIFICATIONS_MAILSINK_PORT": str(smtp_port),
            "NOTIFICATIONS_SMTP_PORT": str(smtp_port),
            "NOTIFICATIONS_LOGISTICS_URL": urls["logistics"],
            "NOTIFICATIONS_WEB_BASE_URL": urls["web"],
            "NOTIFICATIONS_SENDER_POLL_SECONDS": "0.3",
            "WEB_DEV_MODE": "true",
            "WEB_CSRF_SECRET": "e2e-csrf-secret",
            "WEB_ORDERING_URL": urls["ordering"],
            "WEB_LOGISTICS_URL": urls["logistics"],
            "WEB_NOTIFICATIONS_URL": urls["notifications"],
            "WEB_BASE_URL": urls["web"],
        }
    )
    logs = Path(tempfile.mkdtemp(prefix="vrac-e2e-"))
    running = Processes(
        urls, f"{urls['notifications']}/dev/mail.json", logs, env, infra[1], f"{prefix}sink"
    )
    connection = await aio_pika.connect(infra[1])
    try:
        channel = await connection.channel()
        exchange = await declare_events_exchange(channel, f"{prefix}vrac.events")
        audit = await channel.declare_queue(running.audit_queue, durable=True)
        await audit.bind(exchange, routing_key="#")
    finally:
        await connection.close()

    def run(name: str, command: str) -> None:
        with (logs / f"{name}-{command}.log").open("wb") as log:
            subprocess.run(
                [sys.executable, "-m", f"services.{name}", command],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                check=True,
                timeout=120,
            )

    try:
        for name in ("accounts", "ordering"):
            await asyncio.to_thread(run, name, "seed")
        for name in SERVICES:
            running.procs[name] = await asyncio.to_thread(_spawn, name, env, logs)
        for name in SERVICES:
            await asyncio.to_thread(_wait_healthy, urls[name], running.procs[name])
        yield running
    except Exception:
        print(running.tail(60), file=sys.stderr)
        raise
    finally:
        for proc in running.procs.values():
            proc.terminate()
        for proc in running.procs.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        connection = await aio_pika.connect(infra[1])
        try:
            await delete_event_topology(await connection.channel(), f"{prefix}vrac.events")
        finally:
            await connection.close()


@pytest.fixture(scope="session")
async def browser(processes: Processes) -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    if not _chromium_installed():
        pytest.fail(f"{CHROMIUM} missing: apt-get install -y chromium")
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        await chromium.close()


@pytest.fixture
async def new_page(browser: Any, processes: Processes) -> AsyncIterator[Any]:
    """Each call: a fresh browser context (one person), 360 px wide like an old phone."""
    contexts = []

    async def make(width: int = 360) -> Any:
        # bypass_csp: lets the test inject axe-core; the pages themselves run no script.
        context = await browser.new_context(
            base_url=processes.urls["web"],
            viewport={"width": width, "height": 740},
            locale="fr-FR",
            bypass_csp=True,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return await context.new_page()

    yield make
    for context in contexts:
        await context.close()


async def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations of the page shown."""
    if not await asyncio.to_thread(AXE.exists):
        pytest.fail(f"{AXE} missing: run `npm ci` in tests/e2e")
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate("async () => await axe.run(document)")
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
