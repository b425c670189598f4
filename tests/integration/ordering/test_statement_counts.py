"""Round trips to Postgres per write use case of ordering (docs/performance.md, « Round trips »).

Each use case runs once through the HTTP API with `Database.statement_log` on; BEGIN and COMMIT
count (each is a round trip). The budget is today's count: the test fails if a change makes a use
case talk to Postgres more often. Lower the budget (and the table in docs/performance.md) when a
change makes it cheaper."""

import uuid
from collections.abc import AsyncIterator
from functools import partial
from typing import Any

import pytest

from shared.runtime import DB_KEY
from tests.integration.ordering.conftest import Ordering, running_ordering
from tests.support.statement_log import check_budget, statements_of

# BEGIN, one call that reads (under the member's lock, with the Idempotency-Key claim), one call
# that writes (the stock last), COMMIT: migrations/0002_one_round_trip_use_cases.sql. Before
# issue 13 they were 9, 9, 11 and 8 (/work/notes/ordering-roundtrips.md).
BUDGET = {
    "add a line to the cart": 4,
    "validate the cart (first time, with Idempotency-Key)": 4,
    "validate more (the order grows)": 4,
    "validate again with the same Idempotency-Key (replay)": 3,
    "record a payment (with Idempotency-Key)": 4,
    "record the payment again with the same Idempotency-Key (replay)": 4,
}


@pytest.fixture
async def quiet_ordering(
    database_url, amqp_url, events_exchange, token_issuer, token_verifier
) -> AsyncIterator[Ordering]:
    """Ordering whose scheduler stays quiet while a use case is counted (it shares the pool)."""
    async with running_ordering(
        database_url, amqp_url, events_exchange, token_issuer, token_verifier, 3600
    ) as ordering:
        yield ordering


async def test_round_trips_per_write_use_case(quiet_ordering: Ordering) -> None:
    ordering = quiet_ordering
    database = ordering.client.app[DB_KEY]
    group = await ordering.new_group()
    user_id = uuid.uuid4()
    member = ordering.member_token(group.id, user_id)
    base = f"/v1/groups/{group.id}/distributions/{group.distribution}"
    line = {"product_id": group.products["Lessive 1 L"], "quantity": "2"}
    add_line = partial(ordering.call, "POST", f"{base}/cart/lines", member, line, expect=200)

    def validate(key: str, expect: int) -> partial[Any]:
        return partial(
            ordering.call,
            "POST",
            f"{base}/order/validate",
            member,
            {},
            headers={"Idempotency-Key": key},
            expect=expect,
        )

    measured = {"add a line to the cart": await statements_of(database, add_line)}
    measured["validate the cart (first time, with Idempotency-Key)"] = await statements_of(
        database, validate("v1", 201)
    )
    await add_line()
    measured["validate more (the order grows)"] = await statements_of(database, validate("v2", 200))
    measured["validate again with the same Idempotency-Key (replay)"] = await statements_of(
        database, validate("v2", 200)
    )
    payment = {
        "user_id": str(user_id),
        "amount_cents": 450,
        "method": "cash",
        "distribution_id": group.distribution,
    }
    record_payment = partial(
        ordering.call,
        "POST",
        f"/v1/groups/{group.id}/payments",
        group.coordinator_token,
        payment,
        headers={"Idempotency-Key": "pay-1"},
        expect=201,
    )
    measured["record a payment (with Idempotency-Key)"] = await statements_of(
        database, record_payment
    )
    measured[
        "record the payment again with the same Idempotency-Key (replay)"
    ] = await statements_of(database, record_payment)
    check_budget(BUDGET, measured)
