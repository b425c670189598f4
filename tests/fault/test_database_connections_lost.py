"""Every database connection of a running service killed, again and again, while it works (a
Postgres restart, a failover): clients get 503 + Retry-After, never 500; the service answers
again without a restart; no event is lost."""

import asyncio
from typing import Any

import aiohttp

from tests.fault.conftest import RunningService, signup_body
from tests.support.one_query import count_of


async def sign_up(session: aiohttp.ClientSession, base: str, email: str) -> list[int]:
    """Statuses until accepted: a client retries a 503 (the database was away), nothing else."""
    statuses: list[int] = []
    for _ in range(20):
        async with session.post(f"{base}/v1/signup", json=signup_body(email)) as resp:
            statuses.append(resp.status)
            if resp.status != 503:
                return statuses
            assert resp.headers.get("Retry-After")
        await asyncio.sleep(0.2)
    return statuses


async def kill_connections(database_url: str) -> int:
    return await count_of(
        database_url,
        "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()) AS t",
    )


async def member_events(event_sink: Any, expected: int) -> set[str]:
    """Distinct ids of member.joined events, once `expected` of them arrived (or 30 s passed)."""
    found: set[str] = set()
    for _ in range(300):
        found = {
            e["id"]
            for e in event_sink.events
            if e["type"] == "accounts.member.joined.v1" and e["data"].get("role") == "member"
        }
        if len(found) >= expected:
            break
        await asyncio.sleep(0.1)
    return found


async def test_service_recovers_and_loses_no_event(
    database_url: str, accounts_process: RunningService, event_sink: Any
) -> None:
    base = accounts_process.base
    async with aiohttp.ClientSession() as session:
        before = await asyncio.gather(
            *(sign_up(session, base, f"before{i}@example.org") for i in range(10))
        )
        assert len(await member_events(event_sink, 10)) == 10
        # The pool's connections and the relay's LISTEN connection, killed over and over while
        # sign-ups are in flight; then once more when they are idle.
        during = asyncio.gather(
            *(sign_up(session, base, f"during{i}@example.org") for i in range(10))
        )
        for _ in range(40):
            await kill_connections(database_url)
            await asyncio.sleep(0.02)
        after = await during
        assert await kill_connections(database_url) >= 2
        after += await asyncio.gather(
            *(sign_up(session, base, f"later{i}@example.org") for i in range(10))
        )
        async with session.get(f"{base}/readyz") as resp:
            assert resp.status == 200
    assert [s[-1] for s in before + after] == [202] * 30
    # Refusals while the database was away say 503 (retry), never 500.
    assert {s for statuses in after for s in statuses} <= {202, 503}
    # The relay finds the rows committed after the kills (it listens again, or polls). At least
    # once: a row published just before its connection died may come twice (consumers drop the
    # twin through their inbox); none may be missing.
    assert len(await member_events(event_sink, 30)) == 30
