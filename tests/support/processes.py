"""Services started as real processes by the fault tests, the browser tests and the benchmarks."""

import asyncio
import socket
import sys
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def start_service(
    name: str, env: dict[str, str], *command: str
) -> asyncio.subprocess.Process:
    """`python -m services.<name> <command>` from the repository root (default `all`: HTTP,
    relay and consumers)."""
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", f"services.{name}", *(command or ("all",)), cwd=ROOT, env=env
    )


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
