"""Annotated string types for free text a client sends (names, labels, places, notes), shared by
accounts and ordering so that both refuse exactly the same characters and say so in their schemas.

Control characters are refused at the door: Postgres rejects NUL (a 500 otherwise), a CR or LF
in a one-line value splits lines of CSV exports and plain-text mails, and lone surrogates cannot
be encoded. Refused: Unicode categories Cc (C0, DEL, C1), Cs (surrogates), Zl and Zp (U+2028,
U+2029, which some clients draw as line breaks), and the bidirectional embeddings, overrides and
isolates (U+202A-U+202E, U+2066-U+2069), which make a name read backwards on a page or in a mail.
Other format, private-use and unassigned code points are accepted: no short pattern could list them
and the OpenAPI schemas state what is refused (lone surrogates excepted: in an ECMA pattern a
surrogate range would also refuse the halves of every emoji; UTF-8 JSON cannot carry them).
A multi-line text keeps its newlines, with CRLF and CR (what browsers send from a textarea) turned
into LF.
"""

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

_REFUSED_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_BIDI_CLASS = "\\u202a-\\u202e\\u2066-\\u2069"
_SINGLE_LINE_CLASS = f"\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029{_BIDI_CLASS}"
# The same rule for the OpenAPI document (ECMA regex): clients and fuzzers know it up front.
SINGLE_LINE_PATTERN = f"^[^{_SINGLE_LINE_CLASS}]*$"
# The single-line rule plus at least one character that is not white space (a value that is
# stripped and must not end up empty: a name, a city).
VISIBLE_SINGLE_LINE_PATTERN = (
    f"^[^{_SINGLE_LINE_CLASS}]*[^{_SINGLE_LINE_CLASS}\\s][^{_SINGLE_LINE_CLASS}]*$"
)
# CR stays allowed on input: it is turned into LF before the check.
MULTI_LINE_PATTERN = (
    f"^[^\\u0000-\\u0009\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f\\u2028\\u2029{_BIDI_CLASS}]*$"
)
MESSAGE = (
    "contains a control character or a line break / "
    "contient un caractère de contrôle ou un retour à la ligne"
)


def _refused(char: str, multi_line: bool) -> bool:
    if multi_line and char == "\n":
        return False
    return unicodedata.category(char) in _REFUSED_CATEGORIES or char in _BIDI_CONTROLS


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
