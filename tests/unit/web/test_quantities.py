from decimal import Decimal

import pytest

from services.web.quantities import QuantityError, parse_quantity


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0,5", "0.5"), ("0.5", "0.5"), (" 1 ", "1"), ("0,125", "0.125"), ("50", "50")],
)
def test_bulk_accepts_comma_or_dot(text, expected):
    assert parse_quantity(text, bulk=True) == Decimal(expected)


@pytest.mark.parametrize(
    "text", ["", "abc", "1,2,3", "NaN", "1e400", "-1", "0", "0,0", "0,0001", "51", "1.5.2", "١"]
)
def test_bulk_refuses(text):
    with pytest.raises(QuantityError):
        parse_quantity(text, bulk=True)


@pytest.mark.parametrize("text", ["0,5", "1.5", "100", "0", "abc", "2,0001"])
def test_piece_refuses(text):
    with pytest.raises(QuantityError):
        parse_quantity(text, bulk=False)


def test_piece_accepts_whole_numbers():
    assert parse_quantity("1", bulk=False) == Decimal(1)
    assert parse_quantity("99", bulk=False) == Decimal(99)
    assert parse_quantity("2,0", bulk=False) == Decimal(2)


def test_coordinator_amounts_and_slot_overrides():
    from services.web.views.coord.parsing import parse_money, parse_overrides

    assert parse_money("9,68") == 968
    assert parse_money("9.68 €") == 968
    assert parse_money("-2,5") == -250
    assert parse_money("12") == 1200
    for bad in ("", "abc", "1,234", "1.2.3", "١٢"):
        assert parse_money(bad) is None, bad
    assert parse_overrides("16:45=3\n17h00 = 4") == {"16:45": 3, "17:00": 4}
    assert parse_overrides("") == {}
    assert parse_overrides("16:45") is None
