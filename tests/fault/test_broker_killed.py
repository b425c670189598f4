"""Broker killed mid-burst (issue 11, fault 1), every service a real process.

A RabbitMQ node of the test's own (tests.support.rabbitmq_node) carries the platform's events.
Order validations go through ordering's HTTP API at a steady pace; a few seconds in, the node is
killed with `kill -9` for FAULT_OUTAGE_SECONDS (default 30), delivery requests are claimed while
it is down, then it is restarted on the same data directory and ports. An integrator-style
subscriber (its own durable quorum queue, declared before the burst) must then see every
validation once: lost 0; effects applied twice 0 (orders, order mails, pairing mails); transport
duplicates printed. Also proven here, figures printed:
- defect 13: the ordering relay's connection attempts while the broker is down stay few however
  many validations commit (back-off deaf to the outbox's wake-ups);
- defect 14: an idle relay (accounts) notices the loss, so its first event after the return is
  neither refused nor retried;
- defect 15: validation latency (p50) while ordering's relay publishes its backlog, vs before.
"""

import asyncio
import json
import os
import re
import statistics
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aio_pika
import aiohttp
import asyncpg

from shared.demo import DEMO_GROUPS
from tests.fault.conftest import PLATFORM, Platform, running_platform
from tests.fault.validation_burst import (
    CLIENT_TIMEOUT,
    Call,
    answer_counts,
    auth,
    burst,
    declare_subscribers,
    drain_ids,
    unlimited_stock_data,
    validation_effects,
)
from tests.load.common import percentile
from tests.load.ordering_data import RushData
from tests.support.rabbitmq_node import RabbitNode

VALIDATIONS = int(os.environ.get("FAULT_VALIDATIONS", "2000"))
OUTAGE_SECONDS = float(os.environ.get("FAULT_OUTAGE_SECONDS", "30"))
KILL_AFTER = 5.0  # seconds of burst before the kill
AFTER_RETURN = 30.0  # burst after the node is back: its start, the back-off, the catch-up
PAIRINGS = 3
JOINED = "accounts.member.joined.v1"


@dataclass
class Arrivals:
    """Events seen on the audit queue after the restart: (arrival time, type, body)."""

    seen: list[tuple[float, str, dict[str, Any]]] = field(default_factory=list)

    async def on_message(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        async with message.process():
            body = json.loads(message.body)
            self.seen.append((time.time(), str(body.get("type")), body))


@dataclass
class Pairing:
    requester: uuid.UUID
    volunteer: uuid.UUID
    request_id: uuid.UUID | None = None
    claim_status: int = 0


async def prepare_pairings(
    platform: Platform, group_id: uuid.UUID, products: list[uuid.UUID]
) -> tuple[uuid.UUID, list[Pairing]]:
    """A distribution made through ordering's API (logistics learns it from the event), and
    PAIRINGS requesters who need a delivery with as many volunteers, all before the outage."""
    coordinator = platform.issuer.issue(uuid.uuid4(), {str(group_id): "coordinator"})
    now = datetime.now(UTC).replace(microsecond=0)
    day = (now + timedelta(days=3)).replace(hour=9, minute=0, second=0)
    body = {
        "starts_at": day.isoformat(),
        "ends_at": (day + timedelta(hours=2)).isoformat(),
        "opens_at": (now - timedelta(hours=1)).isoformat(),
        "closes_at": (now + timedelta(days=2)).isoformat(),
        "place_name": "Salle des fêtes",
        "place_address": "3 rue des Lilas, Toulouse",
        "products": [{"product_id": str(p)} for p in products],
    }
    ordering, logistics = platform.urls["ordering"], platform.urls["logistics"]
    pairings = [Pairing(uuid.uuid4(), uuid.uuid4()) for _ in range(PAIRINGS)]
    async with aiohttp.ClientSession(timeout=CLIENT_TIMEOUT) as session:
        async with session.post(
            f"{ordering}/v1/groups/{group_id}/distributions", json=body, headers=auth(coordinator)
        ) as resp:
            assert resp.status == 201, await resp.text()
            distribution = uuid.UUID((await resp.json())["distribution_id"])
        base = f"{logistics}/v1/groups/{group_id}/distributions/{distribution}"
        deadline = time.monotonic() + 30
        while True:
            async with session.get(f"{base}/slots", headers=auth(coordinator)) as resp:
                if resp.status == 200 and (await resp.json())["slots"]:
                    break
            assert time.monotonic() < deadline, "logistics never learnt the distribution"
            await asyncio.sleep(0.3)
        for n, pairing in enumerate(pairings):
            requester = platform.issuer.issue(
                pairing.requester, {str(group_id): "member"}, first_name=f"Demandeur{n}"
            )
            pickup = {
                "choice": "need_delivery",
                "consent": {"fields": ["phone"], "text_version": "v1"},
            }
            async with session.put(f"{base}/pickup", json=pickup, headers=auth(requester)) as resp:
                assert resp.status == 200, await resp.text()
            volunteer = platform.issuer.issue(pairing.volunteer, {str(group_id): "member"})
            choice = {"choice": "can_deliver"}
            async with session.put(f"{base}/pickup", json=choice, headers=auth(volunteer)) as resp:
                assert resp.status == 200, await resp.text()
        volunteer = platform.issuer.issue(pairings[0].volunteer, {str(group_id): "member"})
        async with session.get(f"{base}/delivery-requests", headers=auth(volunteer)) as resp:
            assert resp.status == 200, await resp.text()
            listing = await resp.json()
        by_name = {r["first_name"]: uuid.UUID(r["request_id"]) for r in listing["open"]}
        for n, pairing in enumerate(pairings):
            pairing.request_id = by_name[f"Demandeur{n}"]
    return distribution, pairings


async def claim_all(
    platform: Platform, group_id: uuid.UUID, distribution: uuid.UUID, pairings: list[Pairing]
) -> None:
    base = (
        f"{platform.urls['logistics']}/v1/groups/{group_id}/distributions/{distribution}"
        "/delivery-requests"
    )
    async with aiohttp.ClientSession(timeout=CLIENT_TIMEOUT) as session:
        for pairing in pairings:
            token = platform.issuer.issue(pairing.volunteer, {str(group_id): "member"})
            async with session.post(
                f"{base}/{pairing.request_id}/claim", headers=auth(token)
            ) as resp:
                pairing.claim_status = resp.status


def relay_attempts(log: str) -> list[int]:
    """`failed_attempts` of each `outbox_relay_connected` line (one per recovery)."""
    return [
        int(m.group(1))
        for line in log.splitlines()
        if "outbox_relay_connected" in line
        for m in [re.search(r'failed_attempts["=:\s]+(\d+)', line)]
        if m is not None
    ]


async def test_broker_killed_mid_burst_loses_and_doubles_nothing(
    rabbit_node: RabbitNode, database_url: str, tmp_path: Path
) -> None:
    node = rabbit_node
    exchange = f"f{uuid.uuid4().hex[:8]}.vrac.events"
    integrator, audit = await declare_subscribers(node.url, exchange)
    data = await unlimited_stock_data(database_url, VALIDATIONS)
    amqp_urls = dict.fromkeys(PLATFORM, node.url)
    async with running_platform(database_url, amqp_urls, exchange, tmp_path / "logs") as platform:
        await run_scenario(node, platform, data, integrator, audit, database_url)


async def run_scenario(
    node: RabbitNode,
    platform: Platform,
    data: RushData,
    integrator: str,
    audit: str,
    database_url: str,
) -> None:
    group = data.groups[0]
    distribution, pairings = await prepare_pairings(platform, group.id, group.products)
    planned = KILL_AFTER + OUTAGE_SECONDS + AFTER_RETURN
    rate = VALIDATIONS / planned
    print(
        f"\nburst: {VALIDATIONS} validations at {rate:.0f}/s; node killed after {KILL_AFTER:.0f} s"
        f" for {OUTAGE_SECONDS:.0f} s (FAULT_OUTAGE_SECONDS), then restarted"
    )
    calls_task = asyncio.create_task(burst(platform.urls["ordering"], platform, data.people, rate))
    await asyncio.sleep(KILL_AFTER)
    killed_at = time.time()
    await asyncio.to_thread(node.kill)
    await asyncio.sleep(OUTAGE_SECONDS / 2)
    await claim_all(platform, group.id, distribution, pairings)
    await asyncio.sleep(OUTAGE_SECONDS / 2)
    start_seconds = await node.start()
    back_at = time.time()
    arrivals = Arrivals()
    listener = await aio_pika.connect(node.url)
    channel = await listener.channel()
    await (await channel.get_queue(audit)).consume(arrivals.on_message)
    calls = await calls_task
    print(
        f"node restarted in {start_seconds:.1f} s; broker away {back_at - killed_at:.1f} s;"
        f" node start times {[round(s, 1) for s in node.start_seconds]} s"
    )

    # Defect 14: once every relay is back, an idle one (accounts) publishes its next event at
    # once, without a refused first try.
    deadline = time.monotonic() + 60
    while not await platform.relays_connected():
        assert time.monotonic() < deadline, "relays not reconnected within 60 s"
        await asyncio.sleep(0.5)
    relays_back = time.time() - back_at
    joined_at = time.time()
    async with aiohttp.ClientSession(timeout=CLIENT_TIMEOUT) as session:
        signup = {
            "first_name": "Ana",
            "last_name": "Lopez",
            "email": f"fault-{uuid.uuid4().hex[:8]}@example.org",
            "password": "un mot de passe solide",
            "group_id": str(DEMO_GROUPS[0].id),
        }
        async with session.post(f"{platform.urls['accounts']}/v1/signup", json=signup) as resp:
            assert resp.status == 202, await resp.text()
    # From the answer: the sign-up's own work (password hashing) is not the relay's delay.
    joined_at = time.time()

    ids = await drain_ids(node.url, integrator, VALIDATIONS, seconds=90)
    deadline = time.monotonic() + 30
    while not any(t == JOINED and at >= joined_at for at, t, _ in arrivals.seen):
        assert time.monotonic() < deadline, "accounts' first event after the return never came"
        await asyncio.sleep(0.2)
    joined_latency = min(at for at, t, _ in arrivals.seen if t == JOINED and at >= joined_at)
    joined_latency -= joined_at
    await listener.close()

    db = await asyncpg.connect(database_url)
    try:
        figures = await count_effects(db, data, pairings, ids, killed_at, back_at, calls)
    finally:
        await db.close()

    statuses, http_failed = answer_counts(calls)
    claims_failed = sum(1 for p in pairings if p.claim_status != 200)
    during = [c for c in calls if killed_at <= c.started < back_at]
    attempts = relay_attempts(platform.log("ordering"))
    refused = [
        line
        for name in platform.procs
        for line in platform.log(name).splitlines()
        if "outbox_publish_not_confirmed" in line
    ]
    accounts_retries = [
        line for line in platform.log("accounts").splitlines() if "outbox_publish_" in line
    ]
    latencies = [c.seconds * 1000 for c in calls]
    print(
        f"FAULT broker_killed: lost={figures['lost']} duplicated={figures['duplicated']}"
        f" transport_duplicates={figures['transport_duplicates']} http_failed={http_failed}"
        f" validations={VALIDATIONS} during_outage={len(during)} outage_s={OUTAGE_SECONDS:.0f}"
        f" broker_away_s={back_at - killed_at:.1f} node_start_s={start_seconds:.1f}"
        f" pairing_mails={figures['pairing_mails']} claims_failed={claims_failed}"
        f" http_max_ms={max(latencies):.0f} statuses={dict(sorted(statuses.items()))}"
    )
    print(
        f"defect 13: ordering relay connection attempts while away {attempts}"
        f" for {len(during)} validations committed meanwhile"
    )
    print(
        f"defect 14: relays all reconnected {relays_back:.1f} s after the node was back;"
        f" accounts' first event after that arrived in {joined_latency * 1000:.0f} ms;"
        f" refused publishes logged: {len(refused)}"
    )
    print(
        f"defect 15: validation p50 before the kill {figures['p50_before']:.1f} ms,"
        f" during the catch-up {figures['p50_catch_up']:.1f} ms ({figures['catch_up_calls']} calls"
        f" in {figures['catch_up_seconds']:.2f} s of catch-up, {figures['backlog']} events)"
    )
    assert figures["lost"] == 0
    assert figures["duplicated"] == 0
    assert http_failed == 0, statuses
    assert claims_failed == 0, [p.claim_status for p in pairings]
    assert figures["pairing_mails"] == 2 * PAIRINGS
    # Defect 13: without the deaf back-off, one attempt per committed validation.
    assert attempts, "the ordering relay never logged its recovery"
    assert attempts[0] * 10 <= len(during), attempts
    # Defect 14: the idle relay's first event went out on its first try.
    assert refused == [] and accounts_retries == [], refused + accounts_retries


async def count_effects(
    db: asyncpg.Connection,
    data: RushData,
    pairings: list[Pairing],
    ids: list[str],
    killed_at: float,
    back_at: float,
    calls: list[Call],
) -> dict[str, Any]:
    validations = await validation_effects(db, data, ids, VALIDATIONS)
    request_ids = [p.request_id for p in pairings]
    deadline = time.monotonic() + 30
    while True:
        pairing_rows = await db.fetch(
            "SELECT context->>'request_id' AS request_id, kind, count(*) AS n"
            " FROM notifications.email_outbox WHERE kind LIKE 'delivery_pairing_%'"
            " AND context->>'request_id' = ANY($1::text[]) GROUP BY 1, 2",
            [str(r) for r in request_ids],
        )
        if len(pairing_rows) >= 2 * PAIRINGS or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.5)
    # Defect 15: the catch-up is when the events committed during the outage were published.
    window = await db.fetchrow(
        "SELECT count(*) AS n, extract(epoch FROM min(published_at)) AS first,"
        " extract(epoch FROM max(published_at)) AS last FROM ordering.outbox"
        " WHERE created_at >= to_timestamp($1) AND created_at < to_timestamp($2)",
        killed_at,
        back_at,
    )
    assert window is not None and window["first"] is not None
    first, last = float(window["first"]), float(window["last"])
    ok = [c for c in calls if 200 <= c.status < 300]
    before = [c.seconds * 1000 for c in ok if c.started < killed_at]
    catch_up = [c.seconds * 1000 for c in ok if first <= c.started <= last]
    duplicated_pairing = sum(r["n"] - 1 for r in pairing_rows)
    return {
        "lost": validations.lost,
        "duplicated": validations.duplicated + duplicated_pairing,
        "transport_duplicates": validations.transport_duplicates,
        "pairing_mails": sum(r["n"] for r in pairing_rows),
        "p50_before": statistics.median(before) if before else float("nan"),
        "p50_catch_up": percentile(catch_up, 50) if catch_up else float("nan"),
        "catch_up_calls": len(catch_up),
        "catch_up_seconds": last - first,
        "backlog": window["n"],
    }
