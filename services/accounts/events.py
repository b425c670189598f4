"""How an accounts use case publishes an event: into the outbox, in its own transaction."""

from shared.contracts.accounts import (
    MemberJoinedV1,
    MemberLeftV1,
    MemberUpdatedV1,
    PasswordResetRequestedV1,
    UserErasedV1,
)
from shared.db import Connection
from shared.outbox import add_event

SOURCE = "/accounts"
AccountsEvent = (
    MemberJoinedV1 | MemberUpdatedV1 | MemberLeftV1 | UserErasedV1 | PasswordResetRequestedV1
)


async def publish(conn: Connection, event: AccountsEvent) -> None:
    """The event under its routing key, about its person; a membership's event is also in its
    group (the other services route and purge by group)."""
    in_group = event.group_id if isinstance(event, MemberJoinedV1 | MemberLeftV1) else None
    await add_event(
        conn, event.ROUTING_KEY, SOURCE, event, subject=str(event.user_id), group_id=in_group
    )
