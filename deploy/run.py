"""`make run`: check Postgres and RabbitMQ, prepare roles and schemas, seed the demo data and
start every service as its own process on its default port (`PORTS`, as listed in
docs/configuration.md)."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit, urlunsplit

import aio_pika
import aiohttp
import asyncpg

ROOT = Path(__file__).resolve().parents[1]
ADMIN_URL = os.environ.get(
    "VRAC_ADMIN_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
AMQP_URL = os.environ.get("VRAC_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
DATABASE = os.environ.get("VRAC_DATABASE", "vrac")
# Consumers first: their queues must be bound before the others' relays publish the seed events.
START_ORDER = ("notifications", "logistics", "accounts", "ordering", "web")
PORTS = {"web": 8080, "accounts": 8081, "ordering": 8082, "logistics": 8083, "notifications": 8084}
OWN_SCHEMA = ("accounts", "ordering", "logistics", "notifications")


def say(message: str) -> None:
    print(f"[make run] {message}", flush=True)


def database_url(role: str) -> str:
    parts = urlsplit(ADMIN_URL)
    host = parts.hostname or "127.0.0.1"
    port = parts.port or 5432
    return urlunsplit((parts.scheme, f"{role}@{host}:{port}", f"/{DATABASE}", "", ""))


def unreachable(name: str, url: str, exc: Exception, start: str, variable: str) -> NoReturn:
    """Stop `make run` with how to start the missing server."""
    host = urlsplit(url).netloc.split("@")[-1]
    sys.exit(
        f"\n{name} is not reachable at {host} ({exc.__class__.__name__}: {exc}).\n"
        "Start it with:\n"
        f"    {start}\n"
        "or, on a machine with Docker:\n"
        "    docker compose -f deploy/compose.yaml up -d postgres rabbitmq\n"
        f"(set {variable} if it runs elsewhere)."
    )


async def check_postgres() -> None:
    try:
        conn = await asyncpg.connect(ADMIN_URL, timeout=5)
    except Exception as exc:
        unreachable(
            "Postgres",
            ADMIN_URL,
            exc,
            "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
            "VRAC_ADMIN_DATABASE_URL",
        )
    await conn.close()


async def check_rabbitmq() -> None:
    try:
        connection = await aio_pika.connect(AMQP_URL, timeout=5)
    except Exception as exc:
        unreachable("RabbitMQ", AMQP_URL, exc, "rabbitmq-server -detached", "VRAC_AMQP_URL")
    await connection.close()


async def prepare_database() -> None:
    conn = await asyncpg.connect(ADMIN_URL)
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", DATABASE):
            await conn.execute(f'CREATE DATABASE "{DATABASE}"')
            say(f"created database {DATABASE}")
    finally:
        await conn.close()
    parts = urlsplit(ADMIN_URL)
    conn = await asyncpg.connect(urlunsplit(parts._replace(path=f"/{DATABASE}")))
    try:
        await conn.execute((ROOT / "deploy" / "postgres-roles.sql").read_text())
    finally:
        await conn.close()


def service_env(name: str) -> dict[str, str]:
    prefix = name.upper()
    env = dict(os.environ)
    env.setdefault(f"{prefix}_PORT", str(PORTS[name]))
    env.setdefault(f"{prefix}_HOST", "127.0.0.1")
    env.setdefault(f"{prefix}_AMQP_URL", AMQP_URL)
    env.setdefault(f"{prefix}_DEV_MODE", "true")
    env.setdefault(
        f"{prefix}_DATABASE_URL", database_url(name if name in OWN_SCHEMA else "postgres")
    )
    return env


def present_services() -> list[str]:
    return [n for n in START_ORDER if (ROOT / "services" / n / "__main__.py").exists()]


def run_step(name: str, command: str, env: dict[str, str] | None = None) -> None:
    """Run `python -m services.<name> <command>`; exit with a message if it fails."""
    result = subprocess.run(
        [sys.executable, "-m", f"services.{name}", command],
        cwd=ROOT,
        env=service_env(name) if env is None else env,
        check=False,
    )
    if result.returncode != 0:
        sys.exit(f"\n`python -m services.{name} {command}` failed (exit {result.returncode}).")


async def wait_healthy(name: str, process: subprocess.Popen[bytes], within: float = 60) -> None:
    url = f"http://127.0.0.1:{service_env(name)[f'{name.upper()}_PORT']}/healthz"
    deadline = time.monotonic() + within
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                sys.exit(
                    f"\n{name} stopped at start-up (exit {process.returncode}); "
                    "its log lines are above."
                )
            try:
                async with session.get(url, timeout=aiohttp.ClientTimeout(total=2)) as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.3)
    sys.exit(f"\n{name} did not answer on {url} within {within:.0f} s.")


def main() -> None:
    asyncio.run(check_postgres())
    asyncio.run(check_rabbitmq())
    asyncio.run(prepare_database())
    services = present_services()
    for name in services:
        if name in OWN_SCHEMA:
            run_step(name, "migrate")
            run_step(name, "seed")
    say("database migrated and demo data seeded")
    processes: dict[str, subprocess.Popen[bytes]] = {}

    def stop_all(*_: object) -> None:
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop_all)
    signal.signal(signal.SIGINT, stop_all)
    for name in services:
        processes[name] = subprocess.Popen(
            [sys.executable, "-m", f"services.{name}", "all"], cwd=ROOT, env=service_env(name)
        )
        asyncio.run(wait_healthy(name, processes[name]))
        say(f"{name} up on http://127.0.0.1:{PORTS[name]}")
    say("everything is up. Open http://127.0.0.1:8080/g/3-cocus to follow the tutorial;")
    say("mails sent by the platform: http://127.0.0.1:8080/dev/mail ; stop with Ctrl+C.")
    say("demo coordinator: coordination.3cocus@vrac-asso.org / vrac-demo-2026 (dev only)")
    while True:
        for name, process in processes.items():
            if process.poll() is not None:
                say(f"{name} exited (code {process.returncode}); stopping the others.")
                stop_all()
        time.sleep(1)


if __name__ == "__main__":
    main()
