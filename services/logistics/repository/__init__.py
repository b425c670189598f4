"""All SQL of the logistics schema (search_path = logistics), by area:

- distributions: distributions, their window, slot generation; copies of members/order sizes
- slots: slots and bookings (the capacity rule, enforced in SQL)
- pickup: pickup choices and consent
- requests: delivery requests, claims (one volunteer per request, enforced in SQL)
- ended: pairings that ended other than by delivery
- people: what logistics keeps about people (revocations, erasure)
- export: the personal data export

Repositories take a `shared.db.Connection` and return frozen dataclasses or pydantic models.
`repository.upsert_distribution` etc. stay importable from here (tests, load scripts)."""

from services.logistics.repository.distributions import (
    Distribution,
    Slot,
    distribution_window,
    upsert_distribution,
    window_and_slot,
)
from services.logistics.repository.requests import request_row, requests_of
from services.logistics.repository.slots import book_open_slot

__all__ = [
    "Distribution",
    "Slot",
    "book_open_slot",
    "distribution_window",
    "request_row",
    "requests_of",
    "upsert_distribution",
    "window_and_slot",
]
