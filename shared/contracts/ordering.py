"""Events published by the ordering service. Amounts are integer cents; quantities are decimal
strings with up to 3 decimals ("0.5")."""

import uuid
from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Contract(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    # Set by every event model (not by its parts): the routing key it is published under.
    ROUTING_KEY: ClassVar[str]


class DistributionV1(_Contract):
    distribution_id: uuid.UUID
    group_id: uuid.UUID
    starts_at: datetime = Field(description="Start of the distribution's time window")
    ends_at: datetime = Field(description="End of the distribution's time window")
    opens_at: datetime = Field(description="When ordering opens")
    closes_at: datetime = Field(description="When ordering closes")
    place_name: str
    place_address: str


class DistributionScheduledV1(DistributionV1):
    """A coordinator created (or rescheduled) a distribution."""

    ROUTING_KEY: ClassVar[str] = "ordering.distribution.scheduled.v1"


class DistributionOpenedV1(DistributionV1):
    """Ordering opened (the opening time passed)."""

    ROUTING_KEY: ClassVar[str] = "ordering.distribution.opened.v1"


class DistributionClosedV1(DistributionV1):
    """Ordering closed (the closing time passed)."""

    ROUTING_KEY: ClassVar[str] = "ordering.distribution.closed.v1"


class OrderLineV1(_Contract):
    product_id: uuid.UUID
    product_name: str
    unit_label: str
    bulk: bool
    quantity: str = Field(description="Decimal quantity, up to 3 decimals, e.g. '0.5'")
    unit_price_cents: int
    line_total_cents: int


class OrderV1(_Contract):
    order_id: uuid.UUID
    distribution_id: uuid.UUID
    group_id: uuid.UUID
    user_id: uuid.UUID
    lines: list[OrderLineV1]
    total_cents: int
    payment_method: Literal["on_site"] = "on_site"
    at: datetime


class OrderValidatedV1(OrderV1):
    """A member validated their cart: the order exists and its stock is reserved."""

    ROUTING_KEY: ClassVar[str] = "ordering.order.validated.v1"


class OrderUpdatedV1(OrderV1):
    """Products added or raised by the member, or a coordinator's correction."""

    ROUTING_KEY: ClassVar[str] = "ordering.order.updated.v1"

    change: Literal["member_added", "coordinator_correction"]


class PaymentRecordedV1(_Contract):
    ROUTING_KEY: ClassVar[str] = "ordering.payment.recorded.v1"

    payment_id: uuid.UUID
    group_id: uuid.UUID
    user_id: uuid.UUID
    amount_cents: int = Field(description="Credit to the member's balance (negative = refund)")
    method: Literal["cash", "cheque", "card", "transfer"]
    distribution_id: uuid.UUID | None = None
    recorded_by: uuid.UUID
    recorded_at: datetime


EVENTS: tuple[type[_Contract], ...] = (
    DistributionScheduledV1,
    DistributionOpenedV1,
    DistributionClosedV1,
    OrderValidatedV1,
    OrderUpdatedV1,
    PaymentRecordedV1,
)
CONTRACTS: dict[str, type[BaseModel]] = {event.ROUTING_KEY: event for event in EVENTS}
