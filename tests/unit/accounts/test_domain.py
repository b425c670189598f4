"""Pure rules of accounts, without I/O."""

import pytest

from services.accounts.domain import (
    check_password,
    display_name,
    email_key,
    missing_fields,
    normalise_email,
    normalise_phone,
    normalise_postcode,
)
from shared.logging import redact


@pytest.mark.parametrize(
    "typed",
    ["06 06 06 06 06", "0606060606", "+33 6 06 06 06 06", "0033 6 06 06 06 06", "06.06.06.06.06"],
)
def test_french_phone_numbers_become_e164(typed):
    assert normalise_phone(typed) == "+33606060606"


@pytest.mark.parametrize("typed", ["12", "06 06 06", "abc", "+33 6 06\n06 06 06"])
def test_invalid_phone_numbers_are_refused(typed):
    with pytest.raises(ValueError):
        normalise_phone(typed)


def test_email_domain_is_normalised_and_control_characters_refused():
    assert normalise_email("Sarah@VRAC-asso.org") == "Sarah@vrac-asso.org"
    for bad in ("no-at-sign", "a@b\r\n.fr", "a@b.fr\nBcc: x@y.fr"):
        with pytest.raises(ValueError):
            normalise_email(bad)


def test_postcodes_are_five_digits():
    assert normalise_postcode(" 31200 ") == "31200"
    for bad in ("3120", "312000", "ABCDE"):
        with pytest.raises(ValueError):
            normalise_postcode(bad)


def test_password_length_only():
    assert check_password("aaaaaaaa") == "aaaaaaaa"
    assert check_password("é" * 64)
    for bad in ("short", "x" * 129):
        with pytest.raises(ValueError):
            check_password(bad)


def test_display_name_as_cagette_shows_it():
    assert display_name("Sarah", "Varda") == "VARDA Sarah"


def test_missing_fields_follow_the_group_requirements():
    empty: dict[str, str | None] = {"street": None, "postcode": None, "city": None}
    assert missing_fields(True, True, None, empty) == ["phone", "address"]
    assert missing_fields(True, False, None, empty) == ["phone"]
    assert missing_fields(False, True, "+33606060606", {**empty, "street": "1 rue"}) == ["address"]
    full: dict[str, str | None] = {"street": "1 rue", "postcode": "31000", "city": "Toulouse"}
    assert missing_fields(True, True, "+33606060606", full) == []


def test_logs_never_carry_personal_data():
    logged = redact(
        {
            "event": "signup",
            "email": "sarah@example.org",
            "password": "secret123",
            "note": "call 06 06 06 06 06 or write to sarah@example.org",
            "user_id": "0123-4567-8901",
            "timestamp": "2026-11-28T04:25:11Z",
        }
    )
    assert logged["email"] == logged["password"] == "[redacted]"
    assert logged["note"] == "call [phone] or write to [email]"
    assert logged["user_id"] == "0123-4567-8901"
    assert logged["timestamp"] == "2026-11-28T04:25:11Z"


@pytest.mark.parametrize(
    ("spellings", "same"),
    [
        (
            [
                "tim@example.org",
                "TIM@Example.ORG",
                "ＴＩＭ@ｅｘａｍｐｌｅ.org",
                " tim@example.org ",
            ],
            True,
        ),
        (["gross@example.org", "groß@example.org", "GROẞ@example.org"], True),
        (["tim@example.org", "TİM@example.org"], False),  # İ folds to i + combining dot
    ],
)
def test_one_key_per_address_whatever_the_spelling(spellings, same):
    keys = {email_key(s) for s in spellings}
    assert (len(keys) == 1) is same
    assert all(email_key(k) == k for k in keys)  # stable: a key is its own key
