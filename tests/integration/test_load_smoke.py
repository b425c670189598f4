"""A short run of each load script (tests/load, `make bench`) with few members: the scripts keep
working as the services change, and their correctness figures hold. Only those are asserted
(nothing oversold, exactly the places, no event lost, every page 200): timings on a shared
machine prove nothing, `make bench` reports them."""

import pytest

from tests.load import event_latency, order_close_rush, page_load, slot_opening_rush
from tests.load.infra import Infra


@pytest.fixture
def load_infra(infra: tuple[str, str], template_database: str) -> Infra:
    # Each run clones the migrated template instead of migrating a new database; small pools:
    # other tests use the same Postgres.
    return Infra(infra[0], infra[1], template_database, pool_max=4)


async def test_order_close_rush_burst_and_open_loop(load_infra: Infra) -> None:
    burst = await order_close_rush.run(
        load_infra, members=120, concurrency=16, bare_transactions=100
    )
    steady = await order_close_rush.run(load_infra, members=60, rate=30)
    for result in (burst, steady):
        assert result.errors == 0, result.run.statuses
        assert result.stock.oversold == 0
        assert result.stock.inconsistent == 0 and result.stock.negative == 0
        assert result.stock.orders == result.stock.debits == result.created
    # The scarce product (90 % of the demand) makes some validations fail, none oversell.
    assert 0 < burst.created < 120
    assert burst.bare_sql_rate is not None and burst.bare_sql_rate > 0
    assert steady.run.requests == 60 and steady.run.scheduled_rate == 30


async def test_order_close_rush_behind_haproxy_with_two_replicas(load_infra: Infra) -> None:
    # `--replicas 2`: two api processes and a worker behind HAProxy's recommended configuration;
    # the stock stays exact when validations of one product land on both processes.
    result = await order_close_rush.run(
        load_infra, members=80, concurrency=16, bare_transactions=50, replicas=2
    )
    assert result.errors == 0, result.run.statuses
    assert result.stock.oversold == 0
    assert result.stock.inconsistent == 0 and result.stock.negative == 0
    assert result.stock.orders == result.stock.debits == result.created
    assert 0 < result.created < 80


async def test_slot_opening_rush_takes_exactly_the_places(load_infra: Infra) -> None:
    burst = await slot_opening_rush.run(load_infra, members=260, bare_bookings=100)
    steady = await slot_opening_rush.run(load_infra, members=300, rate=100)
    for result in (burst, steady):
        assert result.accepted == result.places == 224
        assert result.booked == result.rows == 224
        assert result.overbooked == 0
        assert set(result.run.statuses) <= {201, 409}, result.run.statuses
    assert burst.bare_sql_rate is not None and burst.bare_sql_rate > 0


async def test_page_load_pages_answer_200(load_infra: Infra) -> None:
    result = await page_load.run(load_infra, members=2, in_flight=4, requests=8)
    assert [p.name for p in result.pages] == [
        "order page",
        "pickup",
        "« Commandes »",
        "« Mon compte »",
    ]
    for page in [*result.pages, result.healthz]:
        assert page.run.statuses == {200: 8}, (page.name, page.run.statuses)
        assert page.wire_bytes > 0
    # The order page carries the whole catalog of the demo distribution.
    assert result.pages[0].html_bytes is None or result.pages[0].html_bytes > 10_000


async def test_event_latency_loses_no_event(load_infra: Infra) -> None:
    result = await event_latency.run(load_infra, rate=30, duration=3, grace=20)
    assert result.validations.statuses == {201: 90}
    assert result.created == 90
    assert result.lost == 0 and result.duplicates == 0
    assert result.from_event_time.count == 90
