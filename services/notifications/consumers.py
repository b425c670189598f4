"""Routing key -> handler. Each runs inside the inbox transaction: the email outbox rows it
writes commit together with the inbox entry, so a redelivered event queues nothing twice."""

import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

from pydantic import BaseModel

from services.notifications import erasure
from services.notifications import repository as repo
from services.notifications.domain import Kind
from shared.amqp import Handler, PoisonMessage
from shared.contracts.accounts import PasswordResetRequestedV1, UserErasedV1
from shared.contracts.logistics import (
    DeliveryAssignedV1,
    DeliveryCancelledV1,
    DeliveryUnassignedV1,
)
from shared.contracts.ordering import (
    DistributionClosedV1,
    DistributionOpenedV1,
    DistributionScheduledV1,
    DistributionV1,
    OrderUpdatedV1,
    OrderV1,
    OrderValidatedV1,
)
from shared.db import Connection
from shared.envelope import CloudEvent
from shared.logging import get_logger

log = get_logger(__name__)
DeliveryEvent = DeliveryAssignedV1 | DeliveryUnassignedV1 | DeliveryCancelledV1
M = TypeVar("M", bound=BaseModel)


def typed(
    model: type[M], handler: Callable[[Connection, CloudEvent, M], Awaitable[None]]
) -> Handler:
    async def run(conn: Connection, event: CloudEvent, data: BaseModel) -> None:
        if not isinstance(data, model):
            raise PoisonMessage(f"{event.type} carries {type(data).__name__}")
        await handler(conn, event, data)

    return run


async def _mail(
    conn: Connection,
    event: CloudEvent,
    data: DeliveryEvent | OrderV1,
    to: uuid.UUID,
    kind: Kind,
    context: repo.JsonObject,
    about: uuid.UUID | None = None,
) -> None:
    """A mail in the event's group to `to`; `about`: the other person it names (None: nobody)."""
    await repo.queue_mail(
        conn, event.id, to, kind, context, related_user_id=about, group_id=data.group_id
    )


def _pairing_context(data: DeliveryAssignedV1 | DeliveryUnassignedV1) -> repo.JsonObject:
    return {
        "request_id": str(data.request_id),
        "distribution_id": str(data.distribution_id),
        "group_id": str(data.group_id),
        "requester_id": str(data.requester_id),
        "volunteer_id": str(data.volunteer_id),
    }


async def delivery_assigned(conn: Connection, event: CloudEvent, data: DeliveryAssignedV1) -> None:
    """Both people get each other's details: the volunteer only the fields the requester
    consented to share (kept here as field names, never values)."""
    context = {**_pairing_context(data), "consented_fields": sorted(set(data.consented_fields))}
    await repo.save_assignment(conn, data)
    await _mail(
        conn,
        event,
        data,
        data.volunteer_id,
        Kind.PAIRING_VOLUNTEER,
        context,
        about=data.requester_id,
    )
    await _mail(
        conn,
        event,
        data,
        data.requester_id,
        Kind.PAIRING_REQUESTER,
        context,
        about=data.volunteer_id,
    )


def _notice_context(
    data: DeliveryUnassignedV1 | DeliveryCancelledV1, volunteer_id: uuid.UUID, gone: str
) -> repo.JsonObject:
    """What a notice needs: ids and the reason. The id of an erased person is left out: the
    notice still reaches the other side, and nothing here points back to the erased person."""
    context: repo.JsonObject = {
        "request_id": str(data.request_id),
        "distribution_id": str(data.distribution_id),
        "group_id": str(data.group_id),
        "requester_id": str(data.requester_id),
        "volunteer_id": str(volunteer_id),
        "reason": data.reason,
    }
    if data.reason == "erased":
        context[gone] = None
    return context


async def delivery_unassigned(
    conn: Connection, event: CloudEvent, data: DeliveryUnassignedV1
) -> None:
    still_assigned = await repo.remove_assignment(conn, data.request_id)
    if data.ended_by is not None:
        # Events since v1.1 say whose side ended: only the volunteer's side is told here; when
        # the requester's side ended, the `cancelled` event that follows tells the volunteer.
        if data.ended_by == "volunteer" and data.reason != "volunteer_withdrew":
            context = _notice_context(data, data.volunteer_id, "volunteer_id")
            erased = data.reason == "erased"
            await _mail(
                conn,
                event,
                data,
                data.requester_id,
                Kind.VOLUNTEER_WITHDREW,
                context,
                about=None if erased else data.volunteer_id,
            )
            return
        if data.ended_by != "volunteer":
            return
    context = _pairing_context(data)
    if data.reason == "volunteer_withdrew":
        # The request is back in the list: the person and the coordinators are told.
        await _mail(conn, event, data, data.requester_id, Kind.VOLUNTEER_WITHDREW, context)
        await repo.queue_fanout(
            conn,
            event.id,
            Kind.VOLUNTEER_WITHDREW_COORDINATOR,
            data.group_id,
            "coordinators",
            context,
        )
    elif still_assigned is not None:
        # An event from before v1.1 (no `ended_by`): tell the volunteer once.
        await _mail(
            conn,
            event,
            data,
            data.volunteer_id,
            Kind.DELIVERY_NOT_NEEDED,
            context,
            about=data.requester_id,
        )


async def delivery_cancelled(
    conn: Connection, event: CloudEvent, data: DeliveryCancelledV1
) -> None:
    remembered = await repo.remove_assignment(conn, data.request_id)
    # Since v1.1 the event names the volunteer itself: the notice does not depend on what this
    # service still remembers, so an erasure handled first loses no one to write to.
    volunteer = data.volunteer_id if data.ended_by is not None else remembered
    if volunteer is None or (data.ended_by is None and data.reason == "erased"):
        return
    erased = data.reason == "erased"
    await _mail(
        conn,
        event,
        data,
        volunteer,
        Kind.DELIVERY_NOT_NEEDED,
        _notice_context(data, volunteer, "requester_id"),
        about=None if erased else data.requester_id,
    )


async def distribution_known(conn: Connection, event: CloudEvent, data: DistributionV1) -> None:
    """Scheduled, opened or closed: its dates and place, for the mails and the reminder."""
    await repo.upsert_distribution(conn, data, event.time)


async def distribution_opened(
    conn: Connection, event: CloudEvent, data: DistributionOpenedV1
) -> None:
    await distribution_known(conn, event, data)
    await repo.queue_fanout(
        conn,
        event.id,
        Kind.DISTRIBUTION_OPENED,
        data.group_id,
        "members",
        {"distribution_id": str(data.distribution_id), "group_id": str(data.group_id)},
    )


def _order_context(data: OrderV1, updated: bool) -> repo.JsonObject:
    return {
        "order_id": str(data.order_id),
        "distribution_id": str(data.distribution_id),
        "group_id": str(data.group_id),
        "updated": updated,
        "total_cents": data.total_cents,
        "lines": [
            {
                "product_name": line.product_name,
                "unit_label": line.unit_label,
                "bulk": line.bulk,
                "quantity": line.quantity,
                "unit_price_cents": line.unit_price_cents,
                "line_total_cents": line.line_total_cents,
            }
            for line in data.lines
        ],
    }


async def order_confirmed(conn: Connection, event: CloudEvent, data: OrderV1) -> None:
    """Validated or updated: the order is noted (the reminder skips its author), and confirmed."""
    await repo.record_order(conn, data.distribution_id, data.user_id)
    updated = isinstance(data, OrderUpdatedV1)
    context = _order_context(data, updated=updated)
    await _mail(conn, event, data, data.user_id, Kind.ORDER_CONFIRMATION, context)


async def password_reset_requested(
    conn: Connection, event: CloudEvent, data: PasswordResetRequestedV1
) -> None:
    # Only the reset id: the token itself is fetched from accounts when the mail is sent.
    await repo.queue_mail(
        conn, event.id, data.user_id, Kind.PASSWORD_RESET, {"reset_id": str(data.reset_id)}
    )


async def user_erased(conn: Connection, event: CloudEvent, data: UserErasedV1) -> None:
    counts = await erasure.erase_user(conn, data.user_id)
    log.info("user_erased", event_id=str(event.id), **counts)


HANDLERS: dict[str, Handler] = {
    "logistics.delivery.assigned.v1": typed(DeliveryAssignedV1, delivery_assigned),
    "logistics.delivery.unassigned.v1": typed(DeliveryUnassignedV1, delivery_unassigned),
    "logistics.delivery.cancelled.v1": typed(DeliveryCancelledV1, delivery_cancelled),
    "ordering.distribution.scheduled.v1": typed(DistributionScheduledV1, distribution_known),
    "ordering.distribution.opened.v1": typed(DistributionOpenedV1, distribution_opened),
    "ordering.distribution.closed.v1": typed(DistributionClosedV1, distribution_known),
    "ordering.order.validated.v1": typed(OrderValidatedV1, order_confirmed),
    "ordering.order.updated.v1": typed(OrderUpdatedV1, order_confirmed),
    "accounts.password_reset.requested.v1": typed(
        PasswordResetRequestedV1, password_reset_requested
    ),
    "accounts.user.erased.v1": typed(UserErasedV1, user_erased),
}
