"""Logistics' distribution row is shared.distribution.DistributionTimes plus its default capacity,
built from a statement's columns by name."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.logistics.repository.distributions import Distribution

STARTS = datetime(2026, 3, 6, 13, 0, tzinfo=UTC)
DISTRIBUTION_ID = uuid.uuid4()
GROUP_ID = uuid.uuid4()


def columns() -> dict[str, object]:
    return {
        "id": DISTRIBUTION_ID,
        "group_id": GROUP_ID,
        "starts_at": STARTS,
        "ends_at": STARTS + timedelta(hours=7),
        "opens_at": STARTS - timedelta(days=7),
        "closes_at": STARTS - timedelta(days=1),
        "default_capacity": 8,
        "now": STARTS - timedelta(days=2),  # selected for the window, not a field of the row
    }


def test_the_row_takes_its_fields_and_leaves_the_other_columns() -> None:
    dist = Distribution.from_columns(columns())
    assert dist == Distribution(
        id=DISTRIBUTION_ID,
        group_id=GROUP_ID,
        starts_at=STARTS,
        ends_at=STARTS + timedelta(hours=7),
        opens_at=STARTS - timedelta(days=7),
        closes_at=STARTS - timedelta(days=1),
        default_capacity=8,
    )
    assert not hasattr(dist, "now")


def test_a_column_missing_from_the_statement_fails_at_once() -> None:
    row = columns()
    del row["default_capacity"]
    with pytest.raises(KeyError, match="default_capacity"):
        Distribution.from_columns(row)
