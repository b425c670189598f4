"""Events logistics consumes: routing key -> handler (runs inside the inbox transaction)."""

from pydantic import BaseModel

from services.logistics import erasure
from services.logistics.domain import MAX_SLOTS, slot_count
from services.logistics.repository import distributions as dist_repo
from services.logistics.settings import LogisticsSettings
from shared.amqp import Handler, PoisonMessage
from shared.contracts.accounts import MemberJoinedV1, MemberLeftV1, MemberUpdatedV1, UserErasedV1
from shared.contracts.ordering import DistributionV1, OrderV1
from shared.db import Connection
from shared.envelope import CloudEvent

STATES = {
    "ordering.distribution.scheduled.v1": None,  # keep the state a later event already set
    "ordering.distribution.opened.v1": "open",
    "ordering.distribution.closed.v1": "closed",
}


def build_handlers(settings: LogisticsSettings) -> dict[str, Handler]:
    async def on_distribution(conn: Connection, event: CloudEvent, data: BaseModel) -> None:
        if not isinstance(data, DistributionV1):
            raise PoisonMessage(f"unexpected payload for {event.type}")
        if data.ends_at <= data.starts_at:
            raise PoisonMessage("distribution window ends before it starts")
        # Checked here, before any write: a window too long to cut is never worth retrying.
        count = slot_count(data.starts_at, data.ends_at, settings.slot_minutes)
        if count > MAX_SLOTS:
            raise PoisonMessage(f"distribution window gives {count} slots, more than {MAX_SLOTS}")
        await dist_repo.upsert_distribution(
            conn,
            distribution_id=data.distribution_id,
            group_id=data.group_id,
            starts_at=data.starts_at,
            ends_at=data.ends_at,
            opens_at=data.opens_at,
            closes_at=data.closes_at,
            state=STATES[event.type],
            default_capacity=settings.default_slot_capacity,
            slot_minutes=settings.slot_minutes,
        )

    async def on_order(conn: Connection, event: CloudEvent, data: BaseModel) -> None:
        if not isinstance(data, OrderV1):
            raise PoisonMessage(f"unexpected payload for {event.type}")
        await dist_repo.upsert_order_size(
            conn,
            data.distribution_id,
            data.user_id,
            len(data.lines),
            data.total_cents,
            data.at,
        )

    async def on_member(conn: Connection, event: CloudEvent, data: BaseModel) -> None:
        if not isinstance(data, MemberJoinedV1 | MemberUpdatedV1):
            raise PoisonMessage(f"unexpected payload for {event.type}")
        await dist_repo.upsert_member(
            conn,
            data.user_id,
            data.first_name,
            data.postcode,
        )

    async def on_member_left(conn: Connection, event: CloudEvent, data: BaseModel) -> None:
        if not isinstance(data, MemberLeftV1):
            raise PoisonMessage(f"unexpected payload for {event.type}")
        await erasure.forget_person(conn, data.user_id, data.group_id, erased=False)

    async def on_user_erased(conn: Connection, event: CloudEvent, data: BaseModel) -> None:
        if not isinstance(data, UserErasedV1):
            raise PoisonMessage(f"unexpected payload for {event.type}")
        await erasure.forget_person(conn, data.user_id, None, erased=True)

    return {
        "ordering.distribution.scheduled.v1": on_distribution,
        "ordering.distribution.opened.v1": on_distribution,
        "ordering.distribution.closed.v1": on_distribution,
        "ordering.order.validated.v1": on_order,
        "ordering.order.updated.v1": on_order,
        "accounts.member.joined.v1": on_member,
        "accounts.member.updated.v1": on_member,
        "accounts.member.left.v1": on_member_left,
        "accounts.user.erased.v1": on_user_erased,
    }
