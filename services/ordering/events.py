"""How an ordering use case publishes an event: into the outbox, in its own transaction."""

import uuid

from shared.contracts.ordering import DistributionV1, OrderV1, PaymentRecordedV1
from shared.db import Connection
from shared.outbox import OutboxRow, add_event
from shared.outbox import outbox_row as enveloped

SOURCE = "/ordering"
OrderingEvent = DistributionV1 | OrderV1 | PaymentRecordedV1


async def publish(conn: Connection, event: OrderingEvent, subject: uuid.UUID) -> None:
    """The event under its routing key, about `subject` (the distribution, order or payment),
    in the event's group."""
    await add_event(
        conn, event.ROUTING_KEY, SOURCE, event, subject=str(subject), group_id=event.group_id
    )


def outbox_row(event: OrderingEvent, subject: uuid.UUID) -> OutboxRow:
    """The same event as `publish` writes, as a row for a use case whose own statement inserts
    it (one round trip less on the hot paths: validation, payment)."""
    return enveloped(
        event.ROUTING_KEY, SOURCE, event, subject=str(subject), group_id=event.group_id
    )
