"""Events published by the logistics service: ids only, never contact details."""

import uuid
from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

SharedField = Literal["address", "phone", "email"]
# Who ended a pairing: the side that is gone or stepped back, or a coordinator. The other side is
# the one to tell, so the events carry both ids and notifications needs nothing kept from before.
EndedBy = Literal["requester", "volunteer", "coordinator"]


class _Contract(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    # Set by every event model (not by its parts): the routing key it is published under.
    ROUTING_KEY: ClassVar[str]


class SlotBookingV1(_Contract):
    slot_id: uuid.UUID
    distribution_id: uuid.UUID
    group_id: uuid.UUID
    user_id: uuid.UUID
    starts_at: datetime


class SlotBookedV1(SlotBookingV1):
    ROUTING_KEY: ClassVar[str] = "logistics.slot.booked.v1"


class SlotMovedV1(SlotBookingV1):
    ROUTING_KEY: ClassVar[str] = "logistics.slot.moved.v1"

    previous_slot_id: uuid.UUID


class SlotReleasedV1(SlotBookingV1):
    ROUTING_KEY: ClassVar[str] = "logistics.slot.released.v1"


class DeliveryRequestedV1(_Contract):
    ROUTING_KEY: ClassVar[str] = "logistics.delivery.requested.v1"

    request_id: uuid.UUID
    distribution_id: uuid.UUID
    group_id: uuid.UUID
    requester_id: uuid.UUID


class DeliveryAssignedV1(_Contract):
    ROUTING_KEY: ClassVar[str] = "logistics.delivery.assigned.v1"

    request_id: uuid.UUID
    distribution_id: uuid.UUID
    group_id: uuid.UUID
    requester_id: uuid.UUID
    volunteer_id: uuid.UUID
    consented_fields: list[SharedField] = Field(
        description="Which of the requester's details they agreed to share with the volunteer"
    )


class DeliveryUnassignedV1(_Contract):
    ROUTING_KEY: ClassVar[str] = "logistics.delivery.unassigned.v1"

    request_id: uuid.UUID
    distribution_id: uuid.UUID
    group_id: uuid.UUID
    requester_id: uuid.UUID
    volunteer_id: uuid.UUID
    reason: Literal["volunteer_withdrew", "requester_cancelled", "revoked", "member_left", "erased"]
    ended_by: EndedBy | None = Field(
        default=None,
        description="Whose side ended the pairing (None in events published before v1.1)",
    )


class DeliveryCancelledV1(_Contract):
    """The request is gone: consent withdrawn, revoked by a coordinator, or the member left."""

    ROUTING_KEY: ClassVar[str] = "logistics.delivery.cancelled.v1"

    request_id: uuid.UUID
    distribution_id: uuid.UUID
    group_id: uuid.UUID
    requester_id: uuid.UUID
    reason: Literal["requester_cancelled", "revoked", "member_left", "erased"]
    volunteer_id: uuid.UUID | None = Field(
        default=None, description="The volunteer the request was assigned to, if any"
    )
    ended_by: EndedBy | None = Field(
        default=None,
        description="Whose side ended the request (None in events published before v1.1)",
    )


EVENTS: tuple[type[_Contract], ...] = (
    SlotBookedV1,
    SlotMovedV1,
    SlotReleasedV1,
    DeliveryRequestedV1,
    DeliveryAssignedV1,
    DeliveryUnassignedV1,
    DeliveryCancelledV1,
)
CONTRACTS: dict[str, type[BaseModel]] = {event.ROUTING_KEY: event for event in EVENTS}
