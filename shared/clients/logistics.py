"""Logistics' internal API (`/internal/...`) as the other services see it: the response models
are the shapes logistics answers with (services/logistics/models.py: `BookingOut`)."""

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from shared.clients.base import InternalApi, Unavailable, parse


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
