"""Everything ordering holds about one person, for the member's download (GDPR Art. 15/20).

Looked up by user id, never by membership: a group the member has left keeps its orders, its
ledger and a cart line still held, and they belong in the download too (the queries are in
repository/personal_data.py)."""

import uuid

from services.ordering.repository.personal_data import (
    ExportedCartLine,
    ExportedDistribution,
    ExportedLedgerEntry,
    ExportedOrder,
    OrderingExport,
    export_queries,
)
from shared.db import Database
from shared.revocations import EndedMembership

__all__ = [
    "EndedMembership",
    "ExportedCartLine",
    "ExportedDistribution",
    "ExportedLedgerEntry",
    "ExportedOrder",
    "OrderingExport",
    "export_queries",
    "export_user",
]


async def export_user(db: Database, user_id: uuid.UUID) -> OrderingExport:
    # One snapshot: an order validated meanwhile shows either as a cart or as an order, not both.
    async with db.transaction("repeatable_read") as conn:
        return await export_queries(conn, user_id)
