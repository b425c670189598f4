"""What coordinators type: amounts in euros, local dates and times, slot capacity overrides."""

import calendar
import re
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

from ...formatting import PARIS

_SLOT_OVERRIDE = re.compile(r"^\s*([0-9]{1,2})[:h]([0-9]{2})\s*[=:]\s*([0-9]{1,3})\s*$")


def parse_money(text: str) -> int | None:
    """« 2,25 » or « 2.25 » euros → 225 cents; None when it is not an amount."""
    raw = text.strip().replace(" ", "").replace("€", "").replace(",", ".")
    if not re.fullmatch(r"-?[0-9]{1,6}(\.[0-9]{1,2})?", raw):
        return None
    try:
        return int((Decimal(raw) * 100).to_integral_value())
    except InvalidOperation:
        return None


def parse_local(day: str, hour: str) -> datetime | None:
    """A date (YYYY-MM-DD) and a time (HH:MM) typed in Europe/Paris."""
    try:
        return datetime.combine(
            date.fromisoformat(day.strip()), time.fromisoformat(hour.strip())
        ).replace(tzinfo=PARIS)
    except ValueError:
        return None


def parse_overrides(text: str) -> dict[str, int] | None:
    """Lines like « 16:45=3 » → {"16:45": 3}; None when a line is not understood."""
    found: dict[str, int] = {}
    for line in text.replace(",", "\n").splitlines():
        if not line.strip():
            continue
        match = _SLOT_OVERRIDE.match(line)
        if match is None:
            return None
        hour, minute, capacity = match.groups()
        found[f"{int(hour):02d}:{minute}"] = int(capacity)
    return found


def month_of(today: date) -> tuple[date, date]:
    """The first and last days of the month of `today`."""
    last = calendar.monthrange(today.year, today.month)[1]
    return today.replace(day=1), today.replace(day=last)


def parse_day(text: str) -> date | None:
    """« 2024-09-30 » (what a date field sends) or « 30/09/2024 » (typed by hand)."""
    raw = text.strip()
    try:
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw):
            return date.fromisoformat(raw)
        found = re.fullmatch(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})", raw)
        if found:
            return date(int(found.group(3)), int(found.group(2)), int(found.group(1)))
    except ValueError:
        return None
    return None
