"""Round trips to Postgres per write use case of logistics (docs/performance.md, « Round trips »).

Each use case runs once through the HTTP API with `Database.statement_log` on; BEGIN and COMMIT
count. The budget is today's count: the test fails if a change makes a use case talk to Postgres
more often. Lower the budget (and docs/performance.md) when a change makes it cheaper."""

from collections.abc import Awaitable, Callable
from typing import Any

from shared.db import Database
from shared.runtime import DB_KEY
from tests.integration.logistics.conftest import Client, People, distribution_base, slot_ids
from tests.support.statement_log import check_budget, statements_of

# BEGIN and COMMIT included; before issue 13 (« Fewer round trips »): 5, 10, 7 and 9.
BUDGET = {
    "book a pickup slot": 4,  # BEGIN, booking statement, outbox row, COMMIT
    "ask for a delivery (with consent)": 4,  # BEGIN, set_pickup_choice(), outbox row, COMMIT
    "offer to deliver": 3,  # BEGIN, set_pickup_choice(), COMMIT (no event: nothing ended)
    "claim a delivery request": 4,  # BEGIN, claim_delivery_request(), outbox row, COMMIT
}
CONSENT = {"fields": ["address", "phone"], "text_version": "2026-01"}


def sends(
    client: Client, method: str, path: str, headers: dict[str, str], body: Any, status: int
) -> Callable[[], Awaitable[Any]]:
    async def request() -> Any:
        resp = await client.request(method, path, json=body, headers=headers)
        assert resp.status == status, await resp.text()
        return await resp.json()

    return request


async def test_round_trips_per_write_use_case(client: Client, db: Database, people: People) -> None:
    database = client.app[DB_KEY]
    group_id, distribution_id, base = await distribution_base(db)
    slot = (await slot_ids(db, distribution_id))[3]
    _, member = people.member(group_id)
    _, requester = people.member(group_id)
    _, volunteer = people.member(group_id)
    measured = {
        "book a pickup slot": await statements_of(
            database, sends(client, "POST", f"{base}/booking", member, {"slot_id": str(slot)}, 201)
        )
    }
    need = {"choice": "need_delivery", "consent": CONSENT}
    asked = sends(client, "PUT", f"{base}/pickup", requester, need, 200)
    measured["ask for a delivery (with consent)"] = await statements_of(database, asked)
    offer = sends(client, "PUT", f"{base}/pickup", volunteer, {"choice": "can_deliver"}, 200)
    measured["offer to deliver"] = await statements_of(database, offer)
    request_id = (await asked())["request"]["request_id"]
    claim = sends(
        client, "POST", f"{base}/delivery-requests/{request_id}/claim", volunteer, None, 200
    )
    measured["claim a delivery request"] = await statements_of(database, claim)
    check_budget(BUDGET, measured)
