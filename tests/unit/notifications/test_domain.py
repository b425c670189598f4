"""Formats and rules of the notifications service."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.notifications.domain import (
    format_date,
    format_datetime,
    format_money,
    format_quantity,
    language_of,
    reminder_due,
    reminder_event_id,
    retry_delay,
)
from services.notifications.settings import NotificationsSettings


@pytest.mark.parametrize(
    ("cents", "language", "expected"),
    [
        (968, "fr", "9,68 €"),
        (968, "de", "9,68 €"),
        (968, "en", "€9.68"),
        (743, "fr", "7,43 €"),
        (5, "fr", "0,05 €"),
        (-153, "fr", "-1,53 €"),
        (123456, "fr", "1\u202f234,56 €"),
        (123456, "de", "1.234,56 €"),
        (123456, "en", "€1,234.56"),
    ],
)
def test_money_is_exact_from_cents(cents, language, expected):
    assert format_money(cents, language) == expected


@pytest.mark.parametrize(
    ("quantity", "language", "expected"),
    [
        ("0.5", "fr", "0,5"),
        ("0.500", "de", "0,5"),
        ("0.5", "en", "0.5"),
        ("1", "fr", "1"),
        ("2.000", "fr", "2"),
        ("1.25", "fr", "1,25"),
        ("abc", "fr", "abc"),
    ],
)
def test_quantities(quantity, language, expected):
    assert format_quantity(quantity, language) == expected


def test_dates_are_shown_in_paris_time_in_the_recipients_language():
    # 11:00 UTC on 30 August 2019 is 13:00 in Paris (summer time).
    moment = datetime(2019, 8, 30, 11, 0, tzinfo=UTC)
    assert format_date(moment, "fr") == "Vendredi 30 août 2019"
    assert format_date(moment, "de") == "Freitag, 30. August 2019"
    assert format_date(moment, "en") == "Friday 30 August 2019"
    closing = datetime(2019, 8, 29, 21, 59, tzinfo=UTC)
    assert format_datetime(closing, "fr") == "Jeudi 29 août 2019 à 23:59"


def test_retry_delay_grows_exponentially_and_is_capped():
    delays = [retry_delay(n, 10, 900, jitter=0) for n in range(1, 9)]
    assert delays == [10, 20, 40, 80, 160, 320, 640, 900]
    assert retry_delay(1000, 10, 900, jitter=0) == 900
    for _ in range(50):
        assert 8 <= retry_delay(1, 10, 900) <= 12


def test_reminder_due_the_day_before_closing_while_open():
    closes = datetime(2026, 3, 10, 22, 0, tzinfo=UTC)
    opens = closes - timedelta(days=7)
    assert not reminder_due(closes - timedelta(hours=25), opens, closes, 24)
    assert reminder_due(closes - timedelta(hours=23), opens, closes, 24)
    assert not reminder_due(closes + timedelta(minutes=1), opens, closes, 24)
    assert not reminder_due(opens - timedelta(minutes=1), opens, opens + timedelta(hours=2), 24)


def test_reminder_event_id_is_stable_per_distribution():
    d = uuid.uuid4()
    assert reminder_event_id(d) == reminder_event_id(d) != reminder_event_id(uuid.uuid4())


def test_language_fallback():
    assert language_of("de") == "de"
    assert language_of("es") == "fr"
    assert language_of(None) == "fr"


def test_settings_defaults_and_prefix(monkeypatch):
    monkeypatch.setenv("NOTIFICATIONS_SMTP_PORT", "2525")
    monkeypatch.setenv("NOTIFICATIONS_DEV_MODE", "true")
    settings = NotificationsSettings()
    assert settings.port == 8084
    assert settings.smtp_host == "127.0.0.1" and settings.smtp_port == 2525
    assert settings.mail_from == "VRAC <commandes@vrac-asso.org>"
    assert settings.web_base_url == "http://127.0.0.1:8080"
    assert settings.run_mailsink
    monkeypatch.setenv("NOTIFICATIONS_MAILSINK_ENABLED", "false")
    assert not NotificationsSettings().run_mailsink
