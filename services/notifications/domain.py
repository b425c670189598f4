"""Pure rules of the notifications service: mail kinds, retry back-off, French-style formats."""

import random
import uuid
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from zoneinfo import ZoneInfo

import phonenumbers
from babel.dates import format_datetime as babel_format_datetime
from babel.dates import format_time as babel_format_time

PARIS = ZoneInfo("Europe/Paris")
LANGUAGES = ("fr", "en", "de")
DEFAULT_LANGUAGE = "fr"


class Kind(StrEnum):
    """One template (in three languages) per kind."""

    PAIRING_VOLUNTEER = "delivery_pairing_volunteer"
    PAIRING_REQUESTER = "delivery_pairing_requester"
    VOLUNTEER_WITHDREW = "delivery_volunteer_withdrew"
    VOLUNTEER_WITHDREW_COORDINATOR = "delivery_volunteer_withdrew_coordinator"
    DELIVERY_NOT_NEEDED = "delivery_not_needed"
    ORDER_CONFIRMATION = "order_confirmation"
    DISTRIBUTION_OPENED = "distribution_opened"
    CLOSING_REMINDER = "closing_reminder"
    PASSWORD_RESET = "password_reset"


# Ids of mails no event carries (the closing reminder): stable, so a second scheduler run
# produces the same id and the unique constraints keep it single.
_REMINDER_NAMESPACE = uuid.UUID("3b1f4c9e-0d55-4f0e-8f0e-5a2c1c7d9e21")


def reminder_event_id(distribution_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(_REMINDER_NAMESPACE, f"closing-reminder:{distribution_id}")


def context_uuid(value: object) -> uuid.UUID | None:
    """An id as a mail's context holds it (text); None when absent or not an id."""
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def language_of(value: object) -> str:
    return value if isinstance(value, str) and value in LANGUAGES else DEFAULT_LANGUAGE


def retry_delay(attempts: int, base: float, maximum: float, jitter: float = 0.2) -> float:
    """Exponential back-off after the `attempts`-th failure (1 → base, 2 → 2·base, ...), capped,
    with a little jitter so replicas do not retry in lockstep."""
    exponent = max(attempts - 1, 0)
    delay = maximum if exponent >= 30 else min(base * (2**exponent), maximum)
    return delay * (1 - jitter + 2 * jitter * random.random())  # noqa: S311 (not security)


def format_money(cents: int, language: str) -> str:
    """Exact from integer cents: "9,68 €" (fr, de), "€9.68" (en)."""
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(cents), 100)
    grouped = f"{euros:,}"
    if language == "en":
        return f"{sign}€{grouped}.{rest:02d}"
    separator = "\u202f" if language == "fr" else "."
    return f"{sign}{grouped.replace(',', separator)},{rest:02d} €"


def format_quantity(quantity: str, language: str) -> str:
    """ "0.500" → "0,5" (fr, de) / "0.5" (en); "1" stays "1"."""
    try:
        value = Decimal(quantity)
    except (InvalidOperation, TypeError):
        return str(quantity)
    integral = value == value.to_integral()
    text = str(int(value)) if integral else format(value.normalize(), "f")
    return text if language == "en" else text.replace(".", ",")


_DATE_PATTERNS = {
    "fr": "EEEE d MMMM y",
    "de": "EEEE, d. MMMM y",
    "en": "EEEE d MMMM y",
}
_DATETIME_PATTERNS = {
    "fr": "EEEE d MMMM y 'à' HH:mm",
    "de": "EEEE, d. MMMM y 'um' HH:mm",
    "en": "EEEE d MMMM y 'at' HH:mm",
}


def format_date(moment: datetime, language: str) -> str:
    text = babel_format_datetime(
        moment, _DATE_PATTERNS[language_of(language)], tzinfo=PARIS, locale=language_of(language)
    )
    return text[:1].upper() + text[1:]


def format_datetime(moment: datetime, language: str) -> str:
    text = babel_format_datetime(
        moment,
        _DATETIME_PATTERNS[language_of(language)],
        tzinfo=PARIS,
        locale=language_of(language),
    )
    return text[:1].upper() + text[1:]


def format_time(moment: datetime, language: str) -> str:
    return babel_format_time(moment, "HH:mm", tzinfo=PARIS, locale=language_of(language))


def reminder_due(
    now: datetime, opens_at: datetime, closes_at: datetime, hours_before: float
) -> bool:
    """The day before closing: ordering is open and closes within `hours_before` hours."""
    return opens_at <= now < closes_at and closes_at - now <= timedelta(hours=hours_before)


def format_phone(value: str) -> str:
    """Accounts stores E.164 ("+33606060606"); members read "06 06 06 06 06". Numbers of other
    countries keep their prefix ("+49 30 123456"); anything unparsable is shown as stored."""
    try:
        number = phonenumbers.parse(value, "FR")
    except phonenumbers.NumberParseException:
        return value
    if not phonenumbers.is_possible_number(number):
        return value
    if number.country_code == 33:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
