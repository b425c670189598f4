"""Erasure in notifications (`accounts.user.erased.v1`): the person's own mail and every id-only
trace of them go; mail to others loses its mention of them, and a pending notice to the other
side of a pairing still goes, so whichever of erasure and the logistics event comes first, the
remaining person is told once and nothing here points back to the erased person afterwards."""

import uuid
from typing import Any

from services.notifications.domain import Kind

# Context keys that hold the id of the other person of a pairing (never a name or an address).
PERSON_KEYS = ("requester_id", "volunteer_id")
# Mails that are about another person but written for the recipient's sake: they still go after
# that person is erased, without the erased person's id (the template says "the person").
NOTICE_KINDS = (Kind.DELIVERY_NOT_NEEDED.value, Kind.VOLUNTEER_WITHDREW.value)


async def erase_user(conn: Any, user_id: uuid.UUID) -> dict[str, int]:
    """Mail to the person and every id-only trace of them. Mail to others that mentions them
    loses the mention: a pending notice still goes (the remaining side must be told), a pending
    pairing mail is dropped (it would hand out the erased person's details), history stays."""
    mail = await conn.fetchval(
        "WITH gone AS (DELETE FROM email_outbox WHERE recipient_id = $1 RETURNING 1)"
        " SELECT count(*) FROM gone",
        user_id,
    )
    text = str(user_id)
    mentions = await conn.fetch(
        "SELECT id, kind, status, context FROM email_outbox WHERE related_user_id = $1"
        " OR context->>'requester_id' = $2 OR context->>'volunteer_id' = $2 FOR UPDATE",
        user_id,
        text,
    )
    for row in mentions:
        drop = row["status"] == "pending" and row["kind"] not in NOTICE_KINDS
        await conn.execute(
            "UPDATE email_outbox SET related_user_id = NULL, context = $2,"
            " status = CASE WHEN $3 THEN 'dropped' ELSE status END,"
            " last_error = CASE WHEN $3 THEN 'about an erased person' ELSE last_error END"
            " WHERE id = $1",
            row["id"],
            _without(row["context"], text),
            drop,
        )
    fanouts = await conn.fetch(
        "SELECT id, context FROM fanouts WHERE context->>'requester_id' = $1"
        " OR context->>'volunteer_id' = $1 FOR UPDATE",
        text,
    )
    for row in fanouts:
        await conn.execute(
            "UPDATE fanouts SET context = $2 WHERE id = $1",
            row["id"],
            _without(row["context"], text),
        )
    orders = await conn.fetchval(
        "WITH gone AS (DELETE FROM orders WHERE user_id = $1 RETURNING 1)"
        " SELECT count(*) FROM gone",
        user_id,
    )
    assignments = await conn.fetchval(
        "WITH gone AS (DELETE FROM assignments WHERE requester_id = $1 OR volunteer_id = $1"
        " RETURNING 1) SELECT count(*) FROM gone",
        user_id,
    )
    return {
        "mail": int(mail),
        "mentions": len(mentions) + len(fanouts),
        "orders": int(orders),
        "assignments": int(assignments),
    }


def _without(context: dict[str, Any], user_id: str) -> dict[str, Any]:
    return {k: (None if k in PERSON_KEYS and v == user_id else v) for k, v in context.items()}
