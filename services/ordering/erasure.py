"""Use case: a person erased by accounts (`accounts.user.erased.v1`)."""

import uuid

from services.ordering.repository import erasure as repo
from shared.db import Connection


async def anonymise_user(conn: Connection, user_id: uuid.UUID) -> None:
    """Keep amounts for the association's accounts; drop the link to the person.

    Runs in the consumer's inbox transaction (idempotent: a second run finds nothing). The
    outbox rows naming the person (orders with their lines) are forgotten by the platform in the
    same transaction, after this (shared.retention.with_erasure)."""
    await repo.anonymise_user(conn, user_id, uuid.uuid4())
