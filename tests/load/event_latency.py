"""Event latency: from an order validated over HTTP to the `ordering.order.validated.v1` event in
an integrator's queue (docs/integrating.md: its own durable quorum queue bound to the events
exchange with `ordering.#`), validations arriving at a steady rate (open loop):

    .venv/bin/python -m tests.load.event_latency [--rate 100] [--duration 20] [--split]

The ordering service runs as a real process (`all`; `--split`: an `api` process and a `worker`
process, whose outbox relay publishes). Prints the validations' own latency, then the event's:
from the HTTP 201 answer, and from the event's `time` field (set in the validating transaction),
to the message's arrival in the subscriber; and the events lost (a 201 without its event within
`--grace` seconds of the last answer) or delivered twice.
"""

import asyncio
import json
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime

import aiohttp
import asyncpg
from aio_pika.abc import AbstractIncomingMessage

from shared.auth import TokenIssuer
from tests.load.common import Answer, Latency, Run, open_loop, script_parser, verdict
from tests.load.infra import (
    Infra,
    event_topology,
    fresh_database,
    jwks_stand_in,
    running_service,
    service_env,
)
from tests.load.ordering_data import setup_data, validation_request

VALIDATED = "ordering.order.validated.v1"


@dataclass
class Arrivals:
    """What the subscriber received (wall clock) and what the clients were answered."""

    answered: dict[str, float] = field(default_factory=dict)  # order id -> 201 received
    received: dict[str, float] = field(default_factory=dict)  # order id -> event received
    event_time: dict[str, float] = field(default_factory=dict)  # order id -> its `time`
    duplicates: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def on_message(self, message: AbstractIncomingMessage) -> None:
        now = time.time()
        async with message.process():
            event = json.loads(message.body)
            if event["type"] != VALIDATED:
                return
            order_id = event["data"]["order_id"]
            if order_id in self.received:
                self.duplicates += 1
                return
            self.received[order_id] = now
            self.event_time[order_id] = datetime.fromisoformat(event["time"]).timestamp()
            self.changed.set()

    @property
    def lost(self) -> list[str]:
        return [o for o in self.answered if o not in self.received]

    async def wait_for_all(self, grace: float) -> None:
        deadline = time.monotonic() + grace
        while self.lost and time.monotonic() < deadline:
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), deadline - time.monotonic())
            except TimeoutError:
                return


@dataclass(frozen=True)
class EventLatencyResult:
    validations: Run
    created: int
    lost: int
    duplicates: int
    from_answer: Latency  # 201 received by the client -> event received (can be < 0)
    from_event_time: Latency  # the event's `time` -> event received

    @property
    def healthy(self) -> bool:
        return self.lost == 0 and self.duplicates == 0 and self.validations.errors(201) == 0


async def run(
    infra: Infra, rate: float = 100, duration: float = 20, split: bool = False, grace: float = 10
) -> EventLatencyResult:
    issuer = TokenIssuer.generate()
    count = max(1, round(rate * duration))
    arrivals = Arrivals()
    async with (
        fresh_database(infra, "vrac_events") as dsn,
        event_topology(infra, binding="ordering.#", quorum=True) as topology,
        jwks_stand_in(issuer) as accounts_url,
        running_service(
            "ordering",
            service_env("ordering", dsn, infra, topology.name, accounts_url),
            ("api", "worker") if split else ("all",),
        ) as base_url,
    ):
        conn = await asyncpg.connect(dsn, server_settings={"search_path": "ordering"})
        try:
            # Plenty of stock: every validation is a 201, so every one must give an event.
            data = await setup_data(conn, count, stocked=1, scarce=False)
        finally:
            await conn.close()
        await topology.channel.set_qos(prefetch_count=200)
        consumer = await topology.sink.consume(arrivals.on_message)

        def answered(answer: Answer) -> None:
            if answer.status == 201:
                arrivals.answered[json.loads(answer.body)["order_id"]] = time.time()

        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
            validate = validation_request(
                session, base_url, issuer, data.people, "events", answered
            )
            validations = await open_loop(rate, count, validate)
        await arrivals.wait_for_all(grace)
        await topology.sink.cancel(consumer)
    matched = [o for o in arrivals.answered if o in arrivals.received]
    result = EventLatencyResult(
        validations,
        created=len(arrivals.answered),
        lost=len(arrivals.lost),
        duplicates=arrivals.duplicates,
        from_answer=Latency.of_seconds(
            [arrivals.received[o] - arrivals.answered[o] for o in matched]
        ),
        from_event_time=Latency.of_seconds(
            [arrivals.received[o] - arrivals.event_time[o] for o in matched]
        ),
    )
    report(result, split)
    return result


def report(result: EventLatencyResult, split: bool) -> None:
    roles = "api + worker processes" if split else "one `all` process"
    print(f"ordering: {roles}; subscriber: a quorum queue bound with ordering.#")
    print(*result.validations.open_loop_lines("validations"), sep="\n")
    print(
        f"validations: created {result.created}, statuses"
        f" {dict(sorted(result.validations.statuses.items()))}"
    )
    print(f"event latency from the 201 answer: {result.from_answer.line()}")
    print(f"event latency from the event's time: {result.from_event_time.line()}")
    print(f"events lost {result.lost}, delivered twice {result.duplicates}")
    print(verdict(result.healthy))


def main() -> int:
    parser = script_parser(__doc__)
    parser.add_argument("--rate", type=float, default=100, help="validations per second")
    parser.add_argument("--duration", type=float, default=20, help="seconds of arrivals")
    parser.add_argument("--split", action="store_true", help="ordering as api + worker")
    parser.add_argument(
        "--grace", type=float, default=10, help="seconds to wait for the last events"
    )
    args = parser.parse_args()
    result = asyncio.run(run(Infra.from_env(), args.rate, args.duration, args.split, args.grace))
    return 0 if result.healthy else 1


if __name__ == "__main__":
    sys.exit(main())
