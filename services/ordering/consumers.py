"""Events ordering consumes (inside the inbox transaction: idempotent)."""

from pydantic import BaseModel

from services.ordering.erasure import anonymise_user
from shared.amqp import Handler, PoisonMessage
from shared.contracts.accounts import UserErasedV1
from shared.db import Connection
from shared.envelope import CloudEvent


async def on_user_erased(conn: Connection, event: CloudEvent, data: BaseModel) -> None:
    if not isinstance(data, UserErasedV1):
        raise PoisonMessage(f"unexpected payload {type(data).__name__}")
    await anonymise_user(conn, data.user_id)


HANDLERS: dict[str, Handler] = {"accounts.user.erased.v1": on_user_erased}
