"""Every CSV the web hands out goes through here: cells a spreadsheet would run as a formula are
neutralised and control characters removed (CSV injection, OWASP).

The web writes no CSV of its own: it passes on ordering's exports. They are read back and
rewritten here anyway, so a cell ordering let through (or a future export) cannot reach a
coordinator's spreadsheet as a formula."""

import csv
import io
import re
import unicodedata
from collections.abc import Iterable

DELIMITER = ";"
# What spreadsheets treat as the start of a formula (TAB and CR too: some strip them first).
FORMULA_START = frozenset("=+-@\t\r")
# "-9,68" or "12.5": an amount or a quantity, shown as a number, never a formula ("+33…" is
# not: a phone number stays text).
PLAIN_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")
_BREAKS = str.maketrans({"\t": " ", "\r": " ", "\n": " "})


def neutralise_cell(value: str) -> str:
    """The cell as text a spreadsheet shows as is: "'" before a formula start (also after
    leading blanks), line breaks and tabs turned into spaces, other control characters dropped."""
    if PLAIN_NUMBER.fullmatch(value):
        return value
    risky = value[:1] in FORMULA_START or value.lstrip()[:1] in FORMULA_START
    cleaned = "".join(
        ch for ch in value.translate(_BREAKS) if unicodedata.category(ch) not in ("Cc", "Cf")
    )
    return "'" + cleaned if risky else cleaned


def write_csv(rows: Iterable[Iterable[str]]) -> str:
    """Semicolon-separated rows (what French spreadsheets open directly), every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=DELIMITER, lineterminator="\r\n")
    for row in rows:
        writer.writerow([neutralise_cell(cell) for cell in row])
    return buffer.getvalue()


def sanitise_csv(body: bytes) -> bytes:
    """Another service's CSV export, rewritten through write_csv (UTF-8, BOM kept if present)."""
    text = body.decode("utf-8", errors="replace")
    bom = text.startswith("\ufeff")
    rows = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), delimiter=DELIMITER)
    return (("\ufeff" if bom else "") + write_csv(rows)).encode("utf-8")
