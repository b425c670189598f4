"""Services started as real processes by the fault tests, the browser tests and the benchmarks."""

import asyncio
import os
import socket
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def platform_env(
    *,
    database_url: str,
    amqp_urls: Mapping[str, str],
    events_exchange: str,
    ports: Mapping[str, int],
    service_secret: str,
) -> dict[str, str]:
    """os.environ plus what every process of one platform is told (`<NAME>_…`): the database,
    its broker (one per service in `amqp_urls`, which names the services), the exchange, its
    port, where accounts answers and the secret they share."""
    env = dict(os.environ)
    accounts_url = f"http://127.0.0.1:{ports['accounts']}"
    for name, amqp_url in amqp_urls.items():
        upper = name.upper()
        env.update(
            {
                f"{upper}_DATABASE_URL": database_url,
                f"{upper}_AMQP_URL": amqp_url,
                f"{upper}_EVENTS_EXCHANGE": events_exchange,
                f"{upper}_PORT": str(ports[name]),
                f"{upper}_ACCOUNTS_URL": accounts_url,
                f"{upper}_SERVICE_SECRET": service_secret,
                f"{upper}_LOG_LEVEL": "INFO",
            }
        )
    return env


async def start_service(
    name: str, env: dict[str, str], *command: str
) -> asyncio.subprocess.Process:
    """`python -m services.<name> <command>` from the repository root (default `all`: HTTP,
    relay and consumers)."""
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", f"services.{name}", *(command or ("all",)), cwd=ROOT, env=env
    )


async def start_logged(
    name: str, env: dict[str, str], log: Path, command: str
) -> asyncio.subprocess.Process:
    """`python -m services.<name> <command>`, its output in `log` (the tests read it)."""
    with log.open("wb") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            f"services.{name}",
            command,
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=asyncio.subprocess.STDOUT,
        )


async def run_logged(
    name: str, env: dict[str, str], log: Path, command: str, seconds: float = 120
) -> None:
    """`start_logged`, then wait for it to exit 0 (`seed`, `migrate`)."""
    process = await start_logged(name, env, log, command)
    assert await asyncio.wait_for(process.wait(), seconds) == 0, f"{name} {command} failed"


async def wait_healthy(base_url: str, seconds: float = 30, probe: str = "/healthz") -> None:
    """Until the probe answers 200 (`/readyz` to also wait for the database and the broker)."""
    async with aiohttp.ClientSession() as session:
        for _ in range(int(seconds * 10)):
            try:
                async with session.get(f"{base_url}{probe}") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise TimeoutError(f"{base_url}{probe} did not answer 200 within {seconds} s")


@dataclass
class LoggedProcess:
    """`python -m services.<name> <command>`, stdout and stderr in `logs/<label>.<n>.log` (one
    file per start)."""

    name: str
    command: str
    env: dict[str, str]
    port: int  # where its probes answer (the API port, or a worker's own port)
    logs: Path
    label: str
    process: asyncio.subprocess.Process | None = None
    generation: int = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.logs / f"{self.label}.{self.generation}.log"

    async def start(self) -> None:
        self.generation += 1
        self.process = await start_logged(self.name, self.env, self.log_path, self.command)

    def tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
