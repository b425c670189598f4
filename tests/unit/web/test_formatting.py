from datetime import date
from decimal import Decimal

import pytest

from services.web import formatting


def test_tutorial_dates_in_paris_french_capitalised():
    # 11:00 UTC on a summer day is 13:00 in Paris.
    assert formatting.long_date("2019-08-30T11:00:00+00:00") == "Vendredi 30 Août 2019"
    assert formatting.date_at_time("2019-08-29T21:59:00Z") == "Jeudi 29 Août 2019 à 23:59"
    assert formatting.date_at_time("2019-07-17T10:00:00Z") == "Mercredi 17 Juillet 2019 à 12:00"


def test_winter_time_and_date_objects():
    assert formatting.time_of_day("2026-01-15T12:30:00+00:00") == "13:30"
    assert formatting.long_date(date(2020, 3, 3)) == "Mardi 3 Mars 2020"
    # A naive time is read as Europe/Paris.
    assert formatting.time_of_day("2026-01-15T12:30:00") == "12:30"


def test_other_languages():
    assert formatting.date_at_time("2019-08-29T21:59:00Z", "en") == (
        "Thursday 29 August 2019 at 23:59"
    )
    assert formatting.date_at_time("2019-08-29T21:59:00Z", "de") == (
        "Donnerstag, 29. August 2019 um 23:59"
    )


@pytest.mark.parametrize(
    ("cents", "lang", "expected"),
    [
        (968, "fr", "9,68 €"),
        (-968, "fr", "-9,68 €"),
        (0, "fr", "0,00 €"),
        (5, "fr", "0,05 €"),
        (-5, "fr", "-0,05 €"),
        (123456, "fr", "1 234,56 €"),
        (968, "en", "€9.68"),
        (-123456, "en", "-€1,234.56"),
        (-123456, "de", "-1.234,56 €"),
    ],
)
def test_money_is_exact_from_integer_cents(cents, lang, expected):
    assert formatting.money(cents, lang) == expected


def test_cart_total_as_the_tutorial_shows_it():
    assert formatting.plain_total(968) == "9.68"
    assert formatting.plain_total(743) == "7.43"
    assert formatting.plain_total(0) == "0.00"
    assert formatting.plain_total(-150) == "-1.50"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0.500", "0.5"),
        ("1.000", "1"),
        ("10", "10"),
        ("0.25", "0.25"),
        (Decimal("2.0"), "2"),
        ("0.125", "0.125"),
        ("100", "100"),
    ],
)
def test_quantities_without_trailing_zeros(value, expected):
    assert formatting.quantity(value) == expected


def test_cart_line_label_and_account_quantities():
    assert formatting.product_label("Amandes avec peau", True) == "Amandes avec peau - en vrac"
    assert formatting.product_label("Amandes avec peau - en vrac", True) == (
        "Amandes avec peau - en vrac"
    )
    assert formatting.product_label("Lessive 1 L", False) == "Lessive 1 L"
    assert formatting.quantity_with_unit("0.250", True, "kg") == "0,25 kg"
    assert formatting.quantity_with_unit("1", False, "1 pièce") == "1"


def test_phone_numbers_shown_the_french_way():
    assert formatting.phone("+33606060606") == "06 06 06 06 06"
    assert formatting.phone("+4915112345678") == "+4915112345678"
    assert formatting.phone(None) == ""
