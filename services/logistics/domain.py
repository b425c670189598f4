"""Pure rules of logistics: slot cutting, pickup choices, consent, and the errors members see."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from shared.problems import Problem, declared, forbidden

Choice = Literal["need_delivery", "can_deliver", "pickup_only"]
SharedField = Literal["address", "phone", "email"]
SLOT_MINUTES = 15
MAX_CAPACITY = 500
# Ordering refuses a distribution longer than 24 h; 24 h of 5-minute slots (the shortest slot
# worth booking) is 288, one small INSERT. Anything more is a broken event, refused before any
# cutting: an unbounded window would otherwise loop over millions of slots in one transaction.
MAX_SLOTS = 24 * 60 // 5


class TooManySlots(ValueError):
    """The window would give more than MAX_SLOTS slots."""


def slot_count(starts_at: datetime, ends_at: datetime, minutes: int) -> int:
    """How many slots `slot_starts` would cut, by arithmetic (a last partial slot counts)."""
    if ends_at <= starts_at or minutes <= 0:
        return 0
    return -(-(ends_at - starts_at) // timedelta(minutes=minutes))


def slot_starts(
    starts_at: datetime, ends_at: datetime, minutes: int = SLOT_MINUTES
) -> list[tuple[datetime, datetime]]:
    """Cut a distribution window into slots of `minutes`; a last partial slot is kept shorter."""
    count = slot_count(starts_at, ends_at, minutes)
    if count > MAX_SLOTS:
        raise TooManySlots(f"{count} slots of {minutes} min, more than {MAX_SLOTS}")
    step = timedelta(minutes=minutes)
    return [(starts_at + i * step, min(starts_at + (i + 1) * step, ends_at)) for i in range(count)]


def slot_id_for(distribution_id: uuid.UUID, starts_at: datetime) -> uuid.UUID:
    """Deterministic slot id: the same event delivered twice names the same slots."""
    return uuid.uuid5(distribution_id, f"slot:{starts_at.timestamp():.0f}")


@dataclass(frozen=True)
class Window:
    """The order window of a distribution, evaluated at the database's `now`."""

    opens_at: datetime
    closes_at: datetime
    starts_at: datetime
    ends_at: datetime
    now: datetime

    @property
    def state(self) -> Literal["not_open", "open", "closed"]:
        if self.now < self.opens_at:
            return "not_open"
        if self.now < self.closes_at:
            return "open"
        return "closed"

    def require_open(self) -> None:
        if self.state == "not_open":
            raise Problem(
                409,
                "ordering-not-open",
                "La commande n'est pas encore ouverte : les créneaux ne sont pas disponibles.",
                "Ordering is not open yet: slots cannot be booked yet.",
            )
        if self.state == "closed":
            raise Problem(
                409,
                "ordering-closed",
                "La commande est fermée : le créneau ne peut plus être changé.",
                "Ordering is closed: the slot can no longer be changed.",
            )

    def require_not_over(self) -> None:
        if self.now >= self.ends_at:
            raise distribution_over()


def validate_capacity(value: int) -> None:
    if not 0 <= value <= MAX_CAPACITY:
        raise Problem(
            422,
            "invalid-capacity",
            f"La capacité doit être comprise entre 0 et {MAX_CAPACITY}.",
            f"Capacity must be between 0 and {MAX_CAPACITY}.",
        )


# Errors a member can meet (French first, English second).
slot_full = declared(409, "slot-full", "Ce créneau est complet.", "This slot is full.")

slot_not_found = declared(404, "slot-not-found", "Créneau introuvable.", "Slot not found.")

slot_past = declared(409, "slot-past", "Ce créneau est déjà passé.", "This slot is in the past.")

distribution_not_found = declared(
    404, "distribution-not-found", "Distribution introuvable.", "Distribution not found."
)

distribution_over = declared(
    409, "distribution-over", "Cette distribution est terminée.", "This distribution is over."
)

no_booking = declared(
    404,
    "no-booking",
    "Vous n'avez pas de créneau pour cette distribution.",
    "You have no slot for this distribution.",
)

already_booked = declared(
    409,
    "already-booked",
    "Vous avez déjà un créneau pour cette distribution : changez-le plutôt.",
    "You already hold a slot for this distribution: move it instead.",
)


def capacity_below_bookings(booked: int) -> Problem:
    return Problem(
        409,
        "capacity-below-bookings",
        f"Impossible : un créneau compte déjà {booked} inscrits, plus que la capacité demandée.",
        f"Not possible: a slot already holds {booked} bookings, more than the new capacity.",
    )


request_not_found = declared(
    404, "request-not-found", "Demande de livraison introuvable.", "Delivery request not found."
)

already_taken = declared(
    409, "already-taken", "Cette demande est déjà prise.", "This request is already taken."
)

own_request = declared(
    409,
    "own-request",
    "Vous ne pouvez pas prendre votre propre demande.",
    "You cannot take your own request.",
)

not_volunteer = declared(
    403,
    "not-volunteer",
    "Choisissez d'abord « Possibilité de livrer » pour voir les demandes de livraison.",
    "Choose « Possibilité de livrer » first to see delivery requests.",
)

no_pickup_choice = declared(
    404,
    "no-pickup-choice",
    "Aucun choix de retrait pour cette distribution.",
    "No pickup choice for this distribution.",
)

consent_required = declared(
    422,
    "consent-required",
    "Indiquez quelles coordonnées (adresse, téléphone, email) vous acceptez de partager.",
    "Say which details (address, phone, email) you agree to share.",
)

consent_not_allowed = declared(
    422,
    "consent-not-allowed",
    "Le consentement ne concerne que « Besoin d'être livré ».",
    "Consent only goes with « Besoin d'être livré ».",
)


def membership_ended() -> Problem:
    """The same answer as any group the caller's token does not open (shared.auth.forbidden)."""
    return forbidden()


# What the SQL functions of migrations/0004 answer when they refuse (before writing anything):
# their outcome, and the problem the member gets for it.
REFUSED_IN_SQL: dict[str, Callable[[], Problem]] = {
    "distribution-not-found": distribution_not_found,
    "distribution-over": distribution_over,
    "membership-ended": membership_ended,
    "request-not-found": request_not_found,
    "own-request": own_request,
    "not-volunteer": not_volunteer,
    "already-taken": already_taken,
}
