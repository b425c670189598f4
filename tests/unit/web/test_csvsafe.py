"""CSV exports handed out by the web (issue 11, item 8): no cell runs as a formula."""

import csv
import io

import pytest

from services.web.csvsafe import neutralise_cell, sanitise_csv, write_csv


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+33606060606", "'+33606060606"),
        ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1+1", "' =1+1"),
        ("\r=1+1", "' =1+1"),
        (' =HYPERLINK("http://evil")', '\' =HYPERLINK("http://evil")'),
        ("\u00a0=1", "'\u00a0=1"),
        ("\tAmandes", "' Amandes"),
        ("Amandes\r\nTOTAL", "Amandes  TOTAL"),
        ("Noix\x00\x07\x1b de cajou", "Noix de cajou"),
        ("Amandes avec peau", "Amandes avec peau"),
        ("-9,68", "-9,68"),
        ("12.5", "12.5"),
        ("", ""),
    ],
)
def test_neutralise_cell(cell: str, expected: str) -> None:
    assert neutralise_cell(cell) == expected


def test_sanitise_rewrites_another_services_export() -> None:
    source = write_csv([["Produit", "Montant"]]).encode() + (
        b'"\t=cmd|calc";"-9,68"\r\n" =1+2";3,00\r\n"Noix\r\nde cajou";1,00\r\n'
    )
    out = sanitise_csv("\ufeff".encode() + source).decode()
    assert out.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(out.removeprefix("\ufeff"), newline=""), delimiter=";"))
    assert rows == [
        ["Produit", "Montant"],
        ["' =cmd|calc", "-9,68"],
        ["' =1+2", "3,00"],
        ["Noix  de cajou", "1,00"],
    ]
    # Every line is one row: no CR left inside a cell.
    assert out.count("\r\n") == 4
