"""SQL of the personal data export: the person's rows of every logistics table that names them,
looked up by user id, never by membership, so groups the member has left are included."""

import uuid

from services.logistics.models import (
    ExportedBooking,
    ExportedDeliveryRequest,
    ExportedEndedPairing,
    ExportedOrderSize,
    ExportedPickupChoice,
    ExportedProfileCopy,
    LogisticsExport,
)
from shared.db import Connection
from shared.revocations import memberships_ended


async def export_queries(conn: Connection, user_id: uuid.UUID) -> LogisticsExport:
    """The person's rows of every logistics table that names them."""
    profile = await conn.fetchrow(
        "SELECT first_name, postcode, updated_at FROM members WHERE user_id = $1", user_id
    )
    bookings = await conn.fetch(
        "SELECT d.group_id, b.distribution_id, b.slot_id, s.starts_at AS slot_starts_at,"
        " s.ends_at AS slot_ends_at, b.booked_at"
        " FROM bookings b JOIN slots s ON s.id = b.slot_id"
        " JOIN distributions d ON d.id = b.distribution_id"
        " WHERE b.user_id = $1 ORDER BY s.starts_at",
        user_id,
    )
    choices = await conn.fetch(
        "SELECT d.group_id, c.distribution_id, d.starts_at AS distribution_starts_at, c.choice,"
        " c.consent_fields, c.consent_text_version, c.consented_at, c.chosen_at"
        " FROM pickup_choices c JOIN distributions d ON d.id = c.distribution_id"
        " WHERE c.user_id = $1 ORDER BY d.starts_at",
        user_id,
    )
    requests = await conn.fetch(
        "SELECT r.id AS request_id,"
        " CASE WHEN r.requester_id = $1 THEN 'requester' ELSE 'volunteer' END AS role,"
        " r.group_id, r.distribution_id, d.starts_at AS distribution_starts_at,"
        " r.requested_at, r.assigned_at, r.volunteer_id IS NOT NULL AS paired"
        " FROM delivery_requests r JOIN distributions d ON d.id = r.distribution_id"
        " WHERE r.requester_id = $1 OR r.volunteer_id = $1 ORDER BY d.starts_at, r.id",
        user_id,
    )
    ended_pairings = await conn.fetch(
        "SELECT request_id,"
        " CASE WHEN requester_id = $1 THEN 'requester' ELSE 'volunteer' END AS role,"
        " group_id, distribution_id, reason, ended_by, ended_at FROM ended_pairings"
        " WHERE requester_id = $1 OR volunteer_id = $1 ORDER BY ended_at",
        user_id,
    )
    # order_sizes has no group: the distribution gives it when logistics knows it.
    sizes = await conn.fetch(
        "SELECT d.group_id, o.distribution_id, o.items, o.total_cents, o.at"
        " FROM order_sizes o LEFT JOIN distributions d ON d.id = o.distribution_id"
        " WHERE o.user_id = $1 ORDER BY o.at",
        user_id,
    )
    ended = await memberships_ended(conn, user_id)
    groups = {
        r["group_id"]
        for rows in (bookings, choices, requests, ended_pairings, sizes)
        for r in rows
        if r["group_id"] is not None
    }
    groups |= {e.group_id for e in ended}
    return LogisticsExport(
        user_id=user_id,
        group_ids=sorted(groups, key=str),
        profile_copy=ExportedProfileCopy(**dict(profile)) if profile else None,
        bookings=[ExportedBooking(**dict(r)) for r in bookings],
        pickup_choices=[ExportedPickupChoice(**dict(r)) for r in choices],
        delivery_requests=[ExportedDeliveryRequest(**dict(r)) for r in requests],
        ended_pairings=[ExportedEndedPairing(**dict(r)) for r in ended_pairings],
        order_sizes=[ExportedOrderSize(**dict(r)) for r in sizes],
        memberships_ended=ended,
    )
