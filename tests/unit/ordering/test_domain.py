"""Pure ordering rules: quantities, money, states, schedules (no I/O)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from services.ordering.domain import (
    DistributionState,
    LineLockedError,
    QuantityError,
    check_member_sets_quantity,
    check_quantity_limit,
    distribution_state,
    euros,
    line_total_cents,
    parse_quantity,
    quantity_text,
    schedule_errors,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0,5", Decimal("0.5")),
        ("0.5", Decimal("0.5")),
        (" 1 ", Decimal(1)),
        ("0,250", Decimal("0.25")),
        ("0.001", Decimal("0.001")),
        ("50", Decimal(50)),
        (2, Decimal(2)),
        (0.5, Decimal("0.5")),
        ("1.500", Decimal("1.5")),
    ],
)
def test_bulk_quantities_parse(raw, expected):
    assert parse_quantity(raw, bulk=True) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "1,2,3",
        "abc",
        "NaN",
        "nan",
        "inf",
        "1e400",
        "1e2",
        "0",
        "0,000",
        "-1",
        "-0.5",
        "",
        " ",
        "0.0001",
        "50.001",
        "51",
        "1 000",
        "½",
        "0x10",
        None,
        True,
        float("nan"),
        float("inf"),
        -1,
        0,
        [],
        {},
    ],
)
def test_bad_bulk_quantities_refused_with_french_and_english(raw):
    with pytest.raises(QuantityError) as info:
        parse_quantity(raw, bulk=True)
    assert info.value.detail_fr and info.value.detail_en
    assert info.value.detail_fr != info.value.detail_en


@pytest.mark.parametrize("raw", ["0,5", "1.5", 2.5, "100", "0", "-3", "abc"])
def test_per_piece_takes_whole_numbers_only(raw):
    with pytest.raises(QuantityError):
        parse_quantity(raw, bulk=False)


def test_per_piece_whole_numbers_accepted():
    assert parse_quantity("3", bulk=False) == 3
    assert parse_quantity("1.0", bulk=False) == 1
    assert parse_quantity(99, bulk=False) == 99


def test_line_totals_round_half_up_like_the_tutorial():
    assert line_total_cents(Decimal("0.5"), 1485) == 743
    assert line_total_cents(Decimal(1), 225) + line_total_cents(Decimal("0.5"), 1485) == 968
    assert line_total_cents(Decimal("0.25"), 611) == 153  # 152.75 → 153
    assert line_total_cents(Decimal("0.125"), 4) == 1  # 0.5 → 1 (half-up, not banker's)
    assert line_total_cents(Decimal("0.001"), 499) == 0
    assert line_total_cents(Decimal(3), 0) == 0


def test_display_helpers():
    assert euros(968) == "9,68 €"
    assert euros(-153) == "-1,53 €"
    assert euros(5) == "0,05 €"
    assert quantity_text(Decimal("0.500")) == "0.5"
    assert quantity_text(Decimal("2.000")) == "2"


def test_distribution_states_by_clock():
    opens = datetime(2019, 8, 20, 8, 0, tzinfo=UTC)
    closes = datetime(2019, 8, 29, 21, 59, tzinfo=UTC)
    assert distribution_state(opens, closes, opens - timedelta(seconds=1)) is (
        DistributionState.NOT_YET_OPEN
    )
    assert distribution_state(opens, closes, opens) is DistributionState.OPEN
    assert distribution_state(opens, closes, closes - timedelta(microseconds=1)) is (
        DistributionState.OPEN
    )
    assert distribution_state(opens, closes, closes) is DistributionState.CLOSED
    assert distribution_state(opens, closes, closes + timedelta(seconds=1)) is (
        DistributionState.CLOSED
    )


def test_schedule_validation():
    t = datetime(2019, 8, 29, tzinfo=UTC)
    hour = timedelta(hours=1)
    assert schedule_errors(t, t + hour, t + 2 * hour, t + 3 * hour, t) == []
    assert schedule_errors(t, t + hour, t + hour, t + 3 * hour, t) == []
    fields = {e["field"] for e in schedule_errors(t, t - hour, t - 2 * hour, t - 3 * hour, t)}
    assert fields == {"closes_at", "starts_at", "ends_at"}


def test_schedule_limits_a_day_long_within_a_year():
    t = datetime(2019, 8, 29, tzinfo=UTC)
    day, year = timedelta(hours=24), timedelta(days=366)

    def fields(opens: datetime, starts: datetime, ends: datetime) -> set[str]:
        closes = opens + timedelta(hours=1)
        return {e["field"] for e in schedule_errors(opens, closes, starts, ends, t)}

    assert fields(t + year, t + 2 * year, t + 2 * year + day) == set()
    assert fields(t, t + day, t + 2 * day + timedelta(seconds=1)) == {"ends_at"}
    assert fields(t, t + day, t + timedelta(days=365 * 100)) == {"ends_at"}
    assert fields(t + year + timedelta(seconds=1), t + 2 * year, t + 2 * year + day) == {"opens_at"}
    assert fields(t, t + year + timedelta(seconds=1), t + year + day) == {"starts_at"}


def test_validated_lines_can_rise_never_fall():
    check_member_sets_quantity(Decimal(2), Decimal(2))
    check_member_sets_quantity(Decimal(2), Decimal(3))
    with pytest.raises(LineLockedError):
        check_member_sets_quantity(Decimal(2), Decimal("1.999"))
    check_quantity_limit(Decimal(50), bulk=True)
    with pytest.raises(QuantityError):
        check_quantity_limit(Decimal("50.001"), bulk=True)
    with pytest.raises(QuantityError):
        check_quantity_limit(Decimal(100), bulk=False)
