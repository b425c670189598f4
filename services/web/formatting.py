"""Amounts, quantities and dates as the pages show them (Europe/Paris)."""

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_date

PARIS = ZoneInfo("Europe/Paris")
_DATE_PATTERNS = {"fr": "EEEE d MMMM y", "en": "EEEE d MMMM y", "de": "EEEE, d. MMMM y"}
_AT = {"fr": "à", "en": "at", "de": "um"}


def parse_datetime(value: str | datetime) -> datetime:
    """An ISO 8601 date-time from an API, in Europe/Paris."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=PARIS)
    return moment.astimezone(PARIS)


def long_date(value: str | datetime | date, lang: str = "fr") -> str:
    """« Vendredi 30 Août 2019 » (French months and days capitalised, as in the tutorial)."""
    day = parse_datetime(value).date() if isinstance(value, str | datetime) else value
    return _long_day(day, lang)


@lru_cache(maxsize=2048)
def _long_day(day: date, lang: str) -> str:
    # A page shows the same few dates many times; babel loads its locale data on every call.
    text = format_date(day, _DATE_PATTERNS.get(lang, _DATE_PATTERNS["fr"]), locale=lang)
    if lang == "fr":
        text = " ".join(word[:1].upper() + word[1:] for word in text.split(" "))
    return text


@lru_cache(maxsize=4096)
def time_of_day(value: str | datetime) -> str:
    """« 23:59 ». Cached: the pickup page writes two per slot, the same few dozen on every visit,
    and each is a parse and a time-zone conversion."""
    return parse_datetime(value).strftime("%H:%M")


def warm_up(languages: Iterable[str]) -> None:
    """Load babel's locale data for each language now: the first date a process writes in a
    language otherwise reads it from disk (~14 ms) while a member waits."""
    for lang in languages:
        _long_day(date(2000, 1, 1), lang)


def date_at_time(value: str | datetime, lang: str = "fr") -> str:
    """« Jeudi 29 Août 2019 à 23:59 »."""
    return f"{long_date(value, lang)} {_AT.get(lang, 'à')} {time_of_day(value)}"


def _group_thousands(units: int, separator: str) -> str:
    digits = str(units)
    groups: list[str] = []
    while len(digits) > 3:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    groups.insert(0, digits)
    return separator.join(groups)


def money(cents: int, lang: str = "fr") -> str:
    """« 9,68 € », « -9,68 € » (French and German), « €9.68 » (English). Exact: integer cents."""
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(cents), 100)
    if lang == "en":
        return f"{sign}€{_group_thousands(units, ',')}.{rest:02d}"
    separator = "." if lang == "de" else " "
    return f"{sign}{_group_thousands(units, separator)},{rest:02d} €"


def plain_total(cents: int) -> str:
    """The cart's « TOTAL : 9.68 » (a dot, no currency sign, as the tutorial shows it)."""
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(cents), 100)
    return f"{sign}{units}.{rest:02d}"


def quantity(value: str | int | float | Decimal) -> str:
    """« 0.5 », « 1 », « 0.25 » — a decimal without trailing zeros."""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    text = format(number.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def quantity_with_unit(value: str | int | float | Decimal, bulk: bool, unit_label: str) -> str:
    """« 0,25 kg » in the tables of « Mon compte », « 1 » for a per-piece product."""
    text = quantity(value)
    if bulk:
        unit = "L" if unit_label.strip().upper().endswith("L") else "kg"
        return f"{text.replace('.', ',')} {unit}"
    return text


def product_label(name: str, bulk: bool) -> str:
    """« Amandes avec peau - en vrac » for a bulk product."""
    return f"{name} - en vrac" if bulk and "en vrac" not in name else name


def phone(value: str | None) -> str:
    """« 06 06 06 06 06 » for a French number stored as +33606060606; others as stored."""
    if not value:
        return ""
    digits = value.replace(" ", "")
    if digits.startswith("+33") and len(digits) == 12 and digits[1:].isdigit():
        local = "0" + digits[3:]
        return " ".join(local[i : i + 2] for i in range(0, 10, 2))
    return value
