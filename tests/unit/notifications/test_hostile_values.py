"""Values from members (product names, places, names) cannot break a mail's lines, and phone
numbers are written the French way (issue 11)."""

import re
import uuid
from typing import Any

import pytest

from services.notifications.compose import requester_details, volunteer_details
from services.notifications.domain import LANGUAGES, Kind, format_phone
from tests.unit.notifications.test_rendering import (
    RENDERER,
    REQUESTER,
    VOLUNTEER,
    base,
    context_for,
)

POISON = "\r\n\x00\x0b\x0c\x1b\x7f\x85\u2028\u2029\t"
CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def _poisoned(value: Any) -> Any:
    """Every string of a context with control characters in the middle (links and the slot's
    state, which the template compares, stay as they are)."""
    if isinstance(value, str):
        if value.startswith("http"):
            return value
        middle = len(value) // 2
        return value[:middle] + POISON + value[middle:]
    if isinstance(value, dict):
        return {k: v if k == "state" else _poisoned(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_poisoned(v) for v in value]
    return value


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", list(Kind))
def test_control_characters_in_values_never_reach_text_or_subject(kind: Kind, language: str):
    clean = RENDERER.render(kind, language, context_for(kind))
    hostile = RENDERER.render(kind, language, _poisoned(context_for(kind)))
    assert CONTROL.search(hostile.subject) is None and "\n" not in hostile.subject
    assert CONTROL.search(hostile.text) is None, repr(hostile.text)
    # Not one line more: a CR or LF in a product name does not start a new line.
    assert len(hostile.text.split("\n")) == len(clean.text.split("\n"))
    assert CONTROL.search(hostile.html) is None


def test_a_cr_in_a_product_name_stays_on_its_line():
    ctx = context_for(Kind.ORDER_CONFIRMATION)
    ctx["lines"][0]["name"] = "Lessive\r1 L"
    ctx["group_name"] = "3\r\nCocus"
    rendered = RENDERER.render(Kind.ORDER_CONFIRMATION, "fr", ctx)
    assert "1 x Lessive 1 L (1 L) — 2,25 € — 2,25 €" in rendered.text.split("\n")
    assert rendered.subject == "Votre commande est bien enregistrée – 3 Cocus"


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("+33606060606", "06 06 06 06 06"),
        ("+33123456789", "01 23 45 67 89"),
        ("06 12 34 56 78", "06 12 34 56 78"),
        ("+4930123456", "+49 30 123456"),
        ("+3225551234", "+32 2 555 12 34"),
        ("not a number", "not a number"),
        ("", ""),
    ],
)
def test_phone_numbers_are_written_the_french_way(stored: str, shown: str):
    assert format_phone(stored) == shown


def test_the_pairing_mails_show_french_phone_numbers():
    requester = REQUESTER.model_copy(update={"phone": "+33606060606", "user_id": uuid.uuid4()})
    volunteer = VOLUNTEER.model_copy(update={"phone": "+33798765432"})
    to_volunteer = RENDERER.render(
        Kind.PAIRING_VOLUNTEER, "fr", base(requester=requester_details(requester, ["phone"]))
    )
    to_requester = RENDERER.render(
        Kind.PAIRING_REQUESTER, "de", base(volunteer=volunteer_details(volunteer))
    )
    for rendered, shown in ((to_volunteer, "06 06 06 06 06"), (to_requester, "07 98 76 54 32")):
        assert shown in rendered.text and shown in rendered.html
        assert "+33" not in rendered.text and "+33" not in rendered.html
