"""SIGTERM on a service process: in-flight requests finish, then the process exits cleanly."""

import asyncio
import signal
import time

import aiohttp

from tests.fault.conftest import RunningService, accounts_env, signup_body
from tests.support.one_query import count_of
from tests.support.processes import free_port, start_service, wait_healthy


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
    created = await count_of(
        database_url, "SELECT count(*) FROM accounts.users WHERE email LIKE 'sig%@example.org'"
    )
    assert created == 16


async def test_sigterm_drains_then_exits_within_the_shutdown_timeout(
    database_url: str, amqp_url: str, events_exchange: str
) -> None:
    """/readyz is 503 at once, requests are still served for the drain period with
    `Connection: close`, then the process stops and exits 0 well within its timeout."""
    port = free_port()
    env = accounts_env(
        database_url,
        amqp_url,
        events_exchange,
        port,
        ACCOUNTS_DRAIN_SECONDS="2",
        ACCOUNTS_SHUTDOWN_TIMEOUT="8",
    )
    base = f"http://127.0.0.1:{port}"
    seed = await start_service("accounts", env, "seed")
    assert await seed.wait() == 0
    process = await start_service("accounts", env, "api")
    try:
        await wait_healthy(base, probe="/readyz")
        async with aiohttp.ClientSession() as session:
            process.send_signal(signal.SIGTERM)
            signalled = time.monotonic()
            await asyncio.sleep(0.2)
            async with session.get(f"{base}/readyz") as resp:
                assert resp.status == 503
                assert (await resp.json())["status"] == "draining"
            served_while_draining = 0
            while time.monotonic() - signalled < 1.5:
                async with session.post(
                    f"{base}/v1/signup", json=signup_body(f"drain{served_while_draining}@ex.org")
                ) as resp:
                    assert resp.status == 202
                    assert resp.headers.get("Connection", "").lower() == "close"
                served_while_draining += 1
        assert await asyncio.wait_for(process.wait(), 10) == 0
        elapsed = time.monotonic() - signalled
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    print(f"served while draining {served_while_draining}, exited after {elapsed:.1f} s")
    assert served_while_draining > 0
    assert 2.0 <= elapsed < 8.0


async def test_a_second_sigterm_does_not_cut_the_shutdown_short(
    database_url: str, amqp_url: str, events_exchange: str
) -> None:
    port = free_port()
    env = accounts_env(database_url, amqp_url, events_exchange, port, ACCOUNTS_DRAIN_SECONDS="0.5")
    process = await start_service("accounts", env, "all")
    try:
        await wait_healthy(f"http://127.0.0.1:{port}", probe="/readyz")
        process.send_signal(signal.SIGTERM)
        for _ in range(10):
            await asyncio.sleep(0.1)
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 20) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
