"""Pure rules of accounts: what a valid email, phone, postcode, password and name are."""

import re
import unicodedata
from typing import Annotated, Literal

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from shared import text

PASSWORD_MIN = 8
PASSWORD_MAX = 128
Language = Literal["fr", "en", "de"]
ADDRESS_FIELDS = ("street", "postcode", "city")
POSTCODE_PATTERN = re.compile(r"^\d{5}$")


def no_control_characters(value: str) -> str:
    """Control characters, lone surrogates and U+2028/U+2029: refused (shared.text, the rule
    ordering applies too, which the schemas state as a pattern). NUL would fail in Postgres (a
    500), the others split lines of pages, mails and CSV exports."""
    return text.single_line(value)


_no_control_chars = no_control_characters


def _clean_text(value: str) -> str:
    value = _no_control_chars(value).strip()
    if not value:
        raise ValueError("must not be empty")
    return value


def normalise_email(value: str) -> str:
    value = _no_control_chars(value).strip()
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"invalid email address: {exc}") from None
    return result.normalized


def email_key(value: str) -> str:
    """The one comparison form of an e-mail address: unique index, look-up, throttle key.

    NFKC then full case folding (then NFKC again, as folding may denormalise), in Python only:
    SQL lower() depends on the collation and folds differently ("İ", "ẞ", fullwidth letters)."""
    folded = unicodedata.normalize("NFKC", value.strip()).casefold()
    return unicodedata.normalize("NFKC", folded)


def normalise_phone(value: str) -> str:
    """French numbers as members type them ("06 06 06 06 06", "+33 6…", "0033 6…") → E.164."""
    value = _no_control_chars(value).strip()
    try:
        number = phonenumbers.parse(value, "FR")
    except phonenumbers.NumberParseException:
        raise ValueError("invalid phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("invalid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_postcode(value: str) -> str:
    value = value.strip()
    if not POSTCODE_PATTERN.match(value):
        raise ValueError("invalid postcode: 5 digits expected")
    return value


def check_password(value: str) -> str:
    # Length only, no composition rules (NIST SP 800-63B); control characters cannot be typed.
    no_control_characters(value)
    if len(value) < PASSWORD_MIN:
        raise ValueError(f"password must have at least {PASSWORD_MIN} characters")
    if len(value) > PASSWORD_MAX:
        raise ValueError(f"password must have at most {PASSWORD_MAX} characters")
    return value


Name = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_clean_text)]
Email = Annotated[str, Field(max_length=254), AfterValidator(normalise_email)]
Phone = Annotated[str, Field(max_length=30), AfterValidator(normalise_phone)]
Postcode = Annotated[str, Field(max_length=10), AfterValidator(normalise_postcode)]
Street = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_clean_text)]
City = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_clean_text)]
Password = Annotated[str, AfterValidator(check_password)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=1000)


def join_path(slug: str) -> str:
    """The web's page of a group, where one joins it (the slug never changes, nor the link)."""
    return f"/g/{slug}"


def display_name(first_name: str, last_name: str) -> str:
    """As Cagette shows it: "VARDA Sarah"."""
    return f"{last_name.upper()} {first_name}"


def missing_fields(
    phone_required: bool, address_required: bool, phone: str | None, address: dict[str, str | None]
) -> list[str]:
    missing = []
    if phone_required and not phone:
        missing.append("phone")
    if address_required and not all(address.get(f) for f in ADDRESS_FIELDS):
        missing.append("address")
    return missing
