"""CSV exports: formula neutralisation (CSV injection, OWASP) in one helper."""

import csv
import io

import pytest

from services.ordering.reports import neutralise_formula, to_csv

DANGEROUS = [
    "=1+1",
    "+1+1",
    "-1+1",
    "@SUM(A1)",
    "\t=1+1",
    "\tplain",
    "\rplain",
    " =1+1",
    "   @SUM(A1)",
    "\u00a0=1+1",
    "\u3000+1",
    "-",
    "=",
    "-Infinity",
    "-1e5",
]
SAFE = ["Lessive 1 L", "1 pièce", "9,68", "-1,53", "12", "0.5", "", "a=b", "Amandes - en vrac"]


@pytest.mark.parametrize("value", DANGEROUS)
def test_formula_starts_are_prefixed(value: str) -> None:
    assert neutralise_formula(value) == "'" + value


@pytest.mark.parametrize("value", SAFE)
def test_text_and_our_own_numbers_are_kept(value: str) -> None:
    assert neutralise_formula(value) == value


def test_non_text_cells_are_kept() -> None:
    assert neutralise_formula(12) == 12
    assert neutralise_formula(None) is None


def test_to_csv_neutralises_every_cell() -> None:
    text = to_csv(["a", "b"], [[' =HYPERLINK("http://x")', "-1,53"]])
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[1] == ['\' =HYPERLINK("http://x")', "-1,53"]
