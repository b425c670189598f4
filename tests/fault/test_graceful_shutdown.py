"""SIGTERM on a service process: in-flight requests finish, then the process exits cleanly."""

import asyncio
import os
import signal

import aiohttp

from shared.demo import DEMO_GROUPS
from tests.support.processes import free_port, start_service, wait_healthy


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
    seed = await start_service("accounts", env, "seed")
    assert await seed.wait() == 0
    process = await start_service("accounts", env)
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_healthy(base)
        async with aiohttp.ClientSession() as session:

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
