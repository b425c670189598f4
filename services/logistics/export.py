"""Everything logistics holds about one person, for the member's download (GDPR Art. 15/20):
its copy of the person (first name, postcode), slots booked, pickup choices with their consent,
delivery requests on both sides of a pairing, and the order sizes it keeps for volunteers.

Looked up by user id, never by membership, so groups the member has left are included. Of the
other person in a pairing only ids are given: their details are theirs. The queries are in
repository/export.py, the answer's models in models.py."""

import uuid

from services.logistics.models import LogisticsExport
from services.logistics.repository import export as export_repo
from shared.db import Database


async def export_user(db: Database, user_id: uuid.UUID) -> LogisticsExport:
    async with db.transaction("repeatable_read") as conn:
        return await export_repo.export_queries(conn, user_id)
