"""SIGTERM on a service process: in-flight requests finish, then the process exits cleanly."""

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp

from shared.demo import DEMO_GROUPS

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_sigterm_finishes_in_flight_requests(database_url, amqp_url, events_exchange):
    port = free_port()
    env = {
        **os.environ,
        "ACCOUNTS_DATABASE_URL": database_url,
        "ACCOUNTS_AMQP_URL": amqp_url,
        "ACCOUNTS_EVENTS_EXCHANGE": events_exchange,
        "ACCOUNTS_PORT": str(port),
        "ACCOUNTS_LOG_LEVEL": "WARNING",
    }
    seed = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.accounts", "seed", cwd=ROOT, env=env
    )
    assert await seed.wait() == 0
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.accounts", "api", cwd=ROOT, env=env
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(100):
                try:
                    async with session.get(f"{base}/healthz") as resp:
                        if resp.status == 200:
                            break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.1)

            async def sign_up(i: int) -> int:
                async with session.post(
                    f"{base}/v1/signup",
                    json={
                        "first_name": "Ana",
                        "last_name": "Lopez",
                        "email": f"sig{i}@example.org",
                        "password": "un mot de passe",
                        "group_id": str(DEMO_GROUPS[0].id),
                    },
                ) as resp:
                    return resp.status

            # argon2 keeps each sign-up busy for tens of milliseconds: SIGTERM lands mid-flight.
            requests = [asyncio.create_task(sign_up(i)) for i in range(16)]
            await asyncio.sleep(0.15)
            process.send_signal(signal.SIGTERM)
            statuses = await asyncio.gather(*requests)
        assert statuses == [202] * 16
        assert await asyncio.wait_for(process.wait(), 20) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    import asyncpg

    conn = await asyncpg.connect(database_url)
    try:
        created = await conn.fetchval(
            "SELECT count(*) FROM accounts.users WHERE email LIKE 'sig%@example.org'"
        )
    finally:
        await conn.close()
    assert created == 16
