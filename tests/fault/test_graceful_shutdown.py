"""SIGTERM on a service process: in-flight requests finish, then the process exits cleanly."""

import asyncio
import signal

import aiohttp
import asyncpg

from tests.fault.conftest import RunningService, signup_body


async def test_sigterm_finishes_in_flight_requests(
    database_url: str, accounts_process: RunningService
) -> None:
    base, process = accounts_process.base, accounts_process.process
    async with aiohttp.ClientSession() as session:

        async def sign_up(i: int) -> int:
            async with session.post(
                f"{base}/v1/signup", json=signup_body(f"sig{i}@example.org")
            ) as resp:
                return resp.status

        # argon2 keeps each sign-up busy for tens of milliseconds: SIGTERM lands mid-flight.
        requests = [asyncio.create_task(sign_up(i)) for i in range(16)]
        await asyncio.sleep(0.15)
        process.send_signal(signal.SIGTERM)
        statuses = await asyncio.gather(*requests)
    assert statuses == [202] * 16
    assert await asyncio.wait_for(process.wait(), 20) == 0
    conn = await asyncpg.connect(database_url)
    try:
        created = await conn.fetchval(
            "SELECT count(*) FROM accounts.users WHERE email LIKE 'sig%@example.org'"
        )
    finally:
        await conn.close()
    assert created == 16
