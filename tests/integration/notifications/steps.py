"""Steps the notifications tests share: a replica with a new group to put people in, and a
member's order published as ordering's relay does when it is validated."""

import uuid
from collections.abc import Callable
from typing import Any

from shared.contracts.ordering import DistributionScheduledV1, OrderValidatedV1
from tests.integration.notifications.conftest import FakePeople, Service
from tests.support.factories import order_line, order_validated


async def replica_with_group(
    start_service: Callable[..., Any], smtp_port: int, **settings: Any
) -> tuple[Service, FakePeople, uuid.UUID]:
    """A notifications replica sending to `smtp_port` (the `start_service` fixture, `settings`
    overriding its defaults), the accounts double it asks, and a new group in that double."""
    service: Service = await start_service(smtp_port, **settings)
    return service, service.people, service.people.group()


def order(distribution: DistributionScheduledV1, user_id: uuid.UUID) -> OrderValidatedV1:
    """The member's order in the distribution's group: one Lessive 1 L at 2,25 € and 0,5 kg of
    almonds at 14,85 €/kg (7,43 €), 9,68 € in all."""
    lines = [
        order_line(),
        order_line(
            "Amandes avec peau - en vrac",
            "kg",
            bulk=True,
            quantity="0.5",
            unit_price_cents=1485,
            line_total_cents=743,
        ),
    ]
    return order_validated(distribution.distribution_id, distribution.group_id, user_id, lines, 968)


async def publish_order(
    service: Service, distribution: DistributionScheduledV1, user_id: uuid.UUID
) -> None:
    """The member's `order`, validated: the event ordering's relay publishes."""
    await service.publish("ordering.order.validated.v1", order(distribution, user_id))
