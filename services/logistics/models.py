"""Request and response bodies of the logistics API (they also feed the OpenAPI document)."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

from annotated_types import Interval
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from services.logistics.domain import MAX_CAPACITY, Choice, SharedField
from shared.openapi import json_number
from shared.revocations import EndedMembership

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
class SlotOut(BaseModel):
    slot_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    capacity: int
    booked: int
    available: int
    full: bool
    mine: bool
    capacity_overridden: bool


class SlotsView(BaseModel):
    distribution_id: uuid.UUID
    group_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    opens_at: datetime
    closes_at: datetime
    state: Literal["not_open", "open", "closed"]
    default_capacity: int
    my_slot_id: uuid.UUID | None
    slots: list[SlotOut]


class BookingOut(BaseModel):
    slot_id: uuid.UUID
    distribution_id: uuid.UUID
    group_id: uuid.UUID
    user_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime


class ConsentOut(BaseModel):
    fields: list[SharedField]
    text_version: str
    consented_at: datetime


class RequestState(BaseModel):
    request_id: uuid.UUID
    status: Literal["open", "assigned"]
    volunteer_id: uuid.UUID | None


class PickupView(BaseModel):
    distribution_id: uuid.UUID
    group_id: uuid.UUID
    user_id: uuid.UUID
    choice: Choice | None
    consent: ConsentOut | None
    request: RequestState | None


class RequestSummary(BaseModel):
    request_id: uuid.UUID
    first_name: str
    postcode: str | None
    order_items: int | None
    order_total_cents: int | None
    status: Literal["open", "assigned"]
    volunteer_id: uuid.UUID | None
    requested_at: datetime


class RequestList(BaseModel):
    open: list[RequestSummary]
    mine: list[RequestSummary]


class RequestDetail(RequestSummary):
    requester_id: uuid.UUID
    consented_fields: list[SharedField]
    consented_at: datetime | None
    consent_text_version: str | None


class SlotAttendance(BaseModel):
    slot_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    capacity: int
    booked: int
    user_ids: list[uuid.UUID]


class VolunteerOut(BaseModel):
    user_id: uuid.UUID
    first_name: str
    postcode: str | None


class EndedPairing(BaseModel):
    """A pairing that ended other than by delivery. An erased person's id is null."""

    request_id: uuid.UUID
    requester_id: uuid.UUID | None
    requester_first_name: str | None
    volunteer_id: uuid.UUID | None
    reason: Literal["volunteer_withdrew", "requester_cancelled", "revoked", "member_left", "erased"]
    ended_by: Literal["requester", "volunteer", "coordinator"]
    ended_at: datetime


class CoordinationView(BaseModel):
    distribution_id: uuid.UUID
    group_id: uuid.UUID
    slots: list[SlotAttendance]
    pairs: list[RequestDetail]
    unpaired: list[RequestDetail]
    need_delivery: list[RequestDetail]
    volunteers: list[VolunteerOut]
    pickup_only: list[uuid.UUID]
    ended: list[EndedPairing] = []


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


class LogisticsExport(BaseModel):
    service: Literal["logistics"] = "logistics"
    user_id: uuid.UUID
    group_ids: list[uuid.UUID]
    profile_copy: ExportedProfileCopy | None
    bookings: list[ExportedBooking]
    pickup_choices: list[ExportedPickupChoice]
    delivery_requests: list[ExportedDeliveryRequest]
    ended_pairings: list[ExportedEndedPairing]
    order_sizes: list[ExportedOrderSize]
    memberships_ended: list[EndedMembership]
