"""Logistics' answers, declared once: the other services read them here and logistics answers
with them (services/logistics/models.py imports them, or subclasses them where its name differs:
`BookingOut`, `SlotOut`)."""

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.clients.base import InternalApi, Unavailable, parse
from shared.clients.public import Answer, DistributionWindow, PublicClient, distribution_path


class Booking(BaseModel):
    """`GET /internal/distributions/{distribution_id}/bookings/{user_id}`: a member's slot."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    slot_id: uuid.UUID
    distribution_id: uuid.UUID
    group_id: uuid.UUID
    user_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime


class LogisticsClient:
    def __init__(self, api: InternalApi) -> None:
        self.api = api

    async def booking(self, distribution_id: uuid.UUID, user_id: uuid.UUID) -> Booking | None:
        """The member's slot; None when they booked none (404). Unavailable otherwise."""
        status, body = await self.api.get_json(
            f"/internal/distributions/{distribution_id}/bookings/{user_id}"
        )
        if status == 404:
            return None
        if body is None:
            raise Unavailable(f"booking: HTTP {status}")
        return parse(Booking, body, "booking")


# The public API (`/v1/groups/{group_id}/distributions/{distribution_id}/...`) as the web reads
# it with the member's token: `SlotsView`, `PickupView`, `RequestList`, `CoordinationView`, the
# very models logistics answers with.

Choice = Literal["need_delivery", "can_deliver", "pickup_only"]
SharedField = Literal["address", "phone", "email"]


class Slot(Answer):
    slot_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    capacity: int
    booked: int
    available: int
    full: bool
    mine: bool
    capacity_overridden: bool


class SlotsView(DistributionWindow):
    state: Literal["not_open", "open", "closed"]
    default_capacity: int
    my_slot_id: uuid.UUID | None
    slots: list[Slot]

    def my_slot(self) -> Slot | None:
        return next((slot for slot in self.slots if slot.mine), None)


class Consent(Answer):
    fields: list[SharedField]
    text_version: str
    consented_at: datetime


class RequestState(Answer):
    request_id: uuid.UUID
    status: Literal["open", "assigned"]
    volunteer_id: uuid.UUID | None


class PickupView(Answer):
    distribution_id: uuid.UUID
    group_id: uuid.UUID
    user_id: uuid.UUID
    choice: Choice | None
    consent: Consent | None
    request: RequestState | None


class RequestSummary(Answer):
    request_id: uuid.UUID
    first_name: str
    postcode: str | None
    order_items: int | None
    order_total_cents: int | None
    status: Literal["open", "assigned"]
    volunteer_id: uuid.UUID | None
    requested_at: datetime


class RequestList(Answer):
    open: list[RequestSummary]
    mine: list[RequestSummary]


class RequestDetail(RequestSummary):
    requester_id: uuid.UUID
    consented_fields: list[SharedField]
    consented_at: datetime | None
    consent_text_version: str | None


class SlotAttendance(Answer):
    slot_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    capacity: int
    booked: int
    user_ids: list[uuid.UUID]


class Volunteer(Answer):
    user_id: uuid.UUID
    first_name: str
    postcode: str | None


class EndedPairing(Answer):
    """A pairing that ended other than by delivery. An erased person's id is null."""

    request_id: uuid.UUID
    requester_id: uuid.UUID | None
    requester_first_name: str | None
    volunteer_id: uuid.UUID | None
    reason: Literal["volunteer_withdrew", "requester_cancelled", "revoked", "member_left", "erased"]
    ended_by: Literal["requester", "volunteer", "coordinator"]
    ended_at: datetime


class CoordinationView(Answer):
    distribution_id: uuid.UUID
    group_id: uuid.UUID
    slots: list[SlotAttendance]
    pairs: list[RequestDetail]
    unpaired: list[RequestDetail]
    need_delivery: list[RequestDetail]
    volunteers: list[Volunteer]
    pickup_only: list[uuid.UUID]
    # `default=[]` (pydantic copies it) rather than a factory: the OpenAPI schema shows it.
    ended: list[EndedPairing] = Field(default=[])


class PublicLogisticsClient(PublicClient):
    """Logistics' `/v1/groups/{group_id}/distributions/{distribution_id}/...` with the member's
    token (the transport's 404 when the distribution has no logistics yet)."""

    service = "logistics"

    async def slots(self, group_id: object, distribution_id: object) -> SlotsView:
        return await self.get(SlotsView, f"{distribution_path(group_id, distribution_id)}/slots")

    async def pickup(self, group_id: object, distribution_id: object) -> PickupView:
        path = f"{distribution_path(group_id, distribution_id)}/pickup"
        return await self.get(PickupView, path)

    async def delivery_requests(self, group_id: object, distribution_id: object) -> RequestList:
        path = f"{distribution_path(group_id, distribution_id)}/delivery-requests"
        return await self.get(RequestList, path)

    async def coordination(self, group_id: object, distribution_id: object) -> CoordinationView:
        path = f"{distribution_path(group_id, distribution_id)}/coordination"
        return await self.get(CoordinationView, path)

    # --- changes --------------------------------------------------------------------------------

    async def choose_pickup(self, group_id: object, distribution_id: object, body: object) -> None:
        await self.send("PUT", f"{distribution_path(group_id, distribution_id)}/pickup", body)

    async def book_slot(
        self, group_id: object, distribution_id: object, slot_id: str, *, change: bool = False
    ) -> None:
        """Book a slot (POST); `change`: move an existing booking to it (PUT)."""
        path = f"{distribution_path(group_id, distribution_id)}/booking"
        await self.send("PUT" if change else "POST", path, {"slot_id": slot_id})

    async def release_slot(self, group_id: object, distribution_id: object) -> None:
        await self.send("DELETE", f"{distribution_path(group_id, distribution_id)}/booking")

    async def claim_request(
        self, group_id: object, distribution_id: object, request_id: object, *, withdraw: bool
    ) -> None:
        """« Sélectionner » a delivery request (POST), or withdraw from it (DELETE)."""
        base = distribution_path(group_id, distribution_id)
        path = f"{base}/delivery-requests/{request_id}/claim"
        await self.send("DELETE" if withdraw else "POST", path)

    async def revoke_request(
        self, group_id: object, distribution_id: object, request_id: object
    ) -> None:
        base = distribution_path(group_id, distribution_id)
        await self.send("POST", f"{base}/delivery-requests/{request_id}/revoke")

    async def set_slot_capacity(
        self, group_id: object, distribution_id: object, slot_id: object, capacity: int | None
    ) -> None:
        path = f"{distribution_path(group_id, distribution_id)}/slots/{slot_id}/capacity"
        await self.send("PUT", path, {"capacity": capacity})

    async def set_default_capacity(
        self, group_id: object, distribution_id: object, capacity: int
    ) -> SlotsView:
        path = f"{distribution_path(group_id, distribution_id)}/capacity"
        return await self.put(SlotsView, path, {"default_capacity": capacity})
