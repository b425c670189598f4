"""A seeded accounts service running as a real process, for the fault tests."""

import asyncio
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from shared.demo import DEMO_GROUPS
from tests.support.processes import free_port, start_service, wait_healthy


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


@pytest.fixture
async def accounts_process(
    database_url: str, amqp_url: str, events_exchange: str
) -> AsyncIterator[RunningService]:
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
