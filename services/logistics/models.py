"""Request and response bodies of the logistics API (they also feed the OpenAPI document)."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

from annotated_types import Interval
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from services.logistics.domain import MAX_CAPACITY, Choice, SharedField
from shared.clients import logistics as answers
from shared.clients.logistics import (
    CoordinationView,
    EndedPairing,
    PickupView,
    RequestDetail,
    RequestList,
    RequestState,
    RequestSummary,
    SlotAttendance,
    SlotsView,
)
from shared.openapi import json_number
from shared.personal_export import PersonalDataExport
from shared.revocations import EndedMembership

__all__ = [
    "BookingOut",
    "Capacity",
    "ConsentIn",
    "ConsentOut",
    "CoordinationView",
    "DefaultCapacityIn",
    "EndedPairing",
    "InternalRequest",
    "LogisticsExport",
    "PickupIn",
    "PickupView",
    "RequestDetail",
    "RequestList",
    "RequestState",
    "RequestSummary",
    "SlotAttendance",
    "SlotCapacityIn",
    "SlotChoice",
    "SlotOut",
    "SlotsView",
    "VolunteerOut",
]

# A JSON integer (5 or 5.0, never "5" or true) between 0 and MAX_CAPACITY.
Capacity = Annotated[int, Interval(ge=0, le=MAX_CAPACITY), BeforeValidator(json_number)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- requests -------------------------------------------------------------------------------
class SlotChoice(_Body):
    slot_id: uuid.UUID


class ConsentIn(_Body):
    fields: list[SharedField] = Field(
        min_length=1, max_length=3, json_schema_extra={"uniqueItems": True}
    )
    # An identifier of the consent text the member saw ("2026-01"), never free text: stored and
    # shown to coordinators, so no control character (a NUL made Postgres answer 500).
    text_version: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")

    @field_validator("fields")
    @classmethod
    def _unique(cls, value: list[SharedField]) -> list[SharedField]:
        if len(set(value)) != len(value):
            raise ValueError("each field at most once")
        return value


class PickupIn(_Body):
    """`need_delivery` comes with the member's consent to share the fields; the other choices
    share nothing (a consent with them is refused)."""

    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"choice": {"const": "need_delivery"}}},
            "then": {"required": ["consent"], "properties": {"consent": {"type": "object"}}},
            "else": {"properties": {"consent": {"type": "null"}}},
        }
    )
    choice: Choice
    consent: ConsentIn | None = None


class DefaultCapacityIn(_Body):
    default_capacity: Capacity


class SlotCapacityIn(_Body):
    capacity: Capacity | None


# --- answers --------------------------------------------------------------------------------
# The answers the web and notifications read are declared once, in shared/clients/logistics.py
# (frozen, unknown fields ignored when read); logistics answers with them. Where the service's
# name differs from the client's, a subclass keeps the service's name (the title of its OpenAPI
# schema) and carries no docstring (it would become the schema's description); aliases name the
# models only ever nested in another answer.
class SlotOut(answers.Slot):
    pass


class BookingOut(answers.Booking):
    pass


ConsentOut = answers.Consent
VolunteerOut = answers.Volunteer


class InternalRequest(BaseModel):
    request_id: uuid.UUID
    distribution_id: uuid.UUID
    group_id: uuid.UUID
    requester_id: uuid.UUID
    volunteer_id: uuid.UUID | None
    consented_fields: list[SharedField]
    consented_at: datetime | None


# --- personal data export (GDPR Art. 15/20) ---------------------------------------------
class ExportedProfileCopy(BaseModel):
    """What logistics copied from accounts for the volunteer list."""

    first_name: str
    postcode: str | None
    updated_at: datetime


class ExportedBooking(BaseModel):
    group_id: uuid.UUID
    distribution_id: uuid.UUID
    slot_id: uuid.UUID
    slot_starts_at: datetime
    slot_ends_at: datetime
    booked_at: datetime


class ExportedPickupChoice(BaseModel):
    group_id: uuid.UUID
    distribution_id: uuid.UUID
    distribution_starts_at: datetime
    choice: str
    consent_fields: list[str] | None
    consent_text_version: str | None
    consented_at: datetime | None
    chosen_at: datetime


class ExportedDeliveryRequest(BaseModel):
    """`role`: "requester" (the person asked for delivery) or "volunteer" (they deliver it)."""

    request_id: uuid.UUID
    role: Literal["requester", "volunteer"]
    group_id: uuid.UUID
    distribution_id: uuid.UUID
    distribution_starts_at: datetime
    requested_at: datetime
    assigned_at: datetime | None
    # For a requester: whether someone volunteered; for a volunteer: always true.
    paired: bool


class ExportedEndedPairing(BaseModel):
    """A pairing that ended other than by delivery, and why."""

    request_id: uuid.UUID
    role: Literal["requester", "volunteer"]
    group_id: uuid.UUID
    distribution_id: uuid.UUID
    reason: str
    ended_by: str
    ended_at: datetime


class ExportedOrderSize(BaseModel):
    group_id: uuid.UUID | None
    distribution_id: uuid.UUID
    items: int
    total_cents: int
    at: datetime


class LogisticsExport(PersonalDataExport):
    service: Literal["logistics"] = "logistics"
    profile_copy: ExportedProfileCopy | None
    bookings: list[ExportedBooking]
    pickup_choices: list[ExportedPickupChoice]
    delivery_requests: list[ExportedDeliveryRequest]
    ended_pairings: list[ExportedEndedPairing]
    order_sizes: list[ExportedOrderSize]
    memberships_ended: list[EndedMembership]
