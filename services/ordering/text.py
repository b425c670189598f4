"""Annotated string types for free text a client sends (names, labels, places, notes).

Control characters are refused at the door: Postgres rejects NUL (a 500 otherwise), a CR or LF
in a one-line value splits lines of CSV exports and plain-text mails, and lone surrogates cannot
be encoded. Refused: Unicode categories Cc (C0, DEL, C1), Cs (surrogates), Zl and Zp (U+2028,
U+2029, which some clients draw as line breaks). A multi-line text keeps its newlines, with CRLF
and CR (what browsers send from a textarea) turned into LF.
"""

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

_REFUSED_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})
# The same rule for the OpenAPI document (ECMA regex): clients and fuzzers know it up front.
SINGLE_LINE_PATTERN = "^[^\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029]*$"
# CR stays allowed on input: it is turned into LF before the check.
MULTI_LINE_PATTERN = (
    "^[^\\u0000-\\u0009\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f\\u2028\\u2029]*$"
)
MESSAGE = (
    "contains a control character or a line break / "
    "contient un caractère de contrôle ou un retour à la ligne"
)


def _refused(char: str, multi_line: bool) -> bool:
    if multi_line and char == "\n":
        return False
    return unicodedata.category(char) in _REFUSED_CATEGORIES


def single_line(value: str) -> str:
    if any(_refused(c, multi_line=False) for c in value):
        raise ValueError(MESSAGE)
    return value


def _normalise_newlines(value: object) -> object:
    return re.sub(r"\r\n?", "\n", value) if isinstance(value, str) else value


def multi_line(value: str) -> str:
    if any(_refused(c, multi_line=True) for c in value):
        raise ValueError(MESSAGE)
    return value


SingleLineText = Annotated[
    str,
    AfterValidator(single_line),
    Field(json_schema_extra={"pattern": SINGLE_LINE_PATTERN}),
]
"""One line of text: no control character at all (not even TAB)."""

MultiLineText = Annotated[
    str,
    BeforeValidator(_normalise_newlines),
    AfterValidator(multi_line),
    Field(json_schema_extra={"pattern": MULTI_LINE_PATTERN}),
]
"""Text meant to span lines (a note): LF allowed (CRLF/CR become LF), other controls refused."""
