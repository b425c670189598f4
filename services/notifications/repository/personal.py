"""A person's data in notifications: what the erasure removes or rewrites, what the export
reads, and the retention of the mail log."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from services.notifications.models import ExportedPairing, MailAboutPerson
from services.notifications.repository.mail import JsonObject
from shared.db import Connection
from shared.queries import deleted, rows_as
from shared.revocations import EndedMembership, memberships_ended

# --- erasure ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mention:
    """A mail (or fan-out: kind and status None) whose context or related person names someone."""

    id: int
    context: JsonObject
    kind: str | None = None
    status: str | None = None


async def delete_mail_to(conn: Connection, user_id: uuid.UUID) -> int:
    return await deleted(conn, "DELETE FROM email_outbox WHERE recipient_id = $1", user_id)


async def mails_mentioning(conn: Connection, user_id: uuid.UUID) -> list[Mention]:
    """Locked until the transaction ends: the erasure rewrites each."""
    return await rows_as(
        conn,
        Mention,
        "SELECT id, kind, status, context FROM email_outbox WHERE related_user_id = $1"
        " OR context->>'requester_id' = $2 OR context->>'volunteer_id' = $2 FOR UPDATE",
        user_id,
        str(user_id),
    )


async def forget_mention_in_mail(
    conn: Connection, mail_id: int, context: JsonObject, drop: bool
) -> None:
    """No related person any more, the context given; `drop`: a pending mail will not go."""
    await conn.execute(
        "UPDATE email_outbox SET related_user_id = NULL, context = $2,"
        " status = CASE WHEN $3 THEN 'dropped' ELSE status END,"
        " last_error = CASE WHEN $3 THEN 'about an erased person' ELSE last_error END"
        " WHERE id = $1",
        mail_id,
        context,
        drop,
    )


async def fanouts_mentioning(conn: Connection, user_id: uuid.UUID) -> list[Mention]:
    return await rows_as(
        conn,
        Mention,
        "SELECT id, context FROM fanouts WHERE context->>'requester_id' = $1"
        " OR context->>'volunteer_id' = $1 FOR UPDATE",
        str(user_id),
    )


async def set_fanout_context(conn: Connection, fanout_id: int, context: JsonObject) -> None:
    await conn.execute("UPDATE fanouts SET context = $2 WHERE id = $1", fanout_id, context)


async def delete_orders_of(conn: Connection, user_id: uuid.UUID) -> int:
    return await deleted(conn, "DELETE FROM orders WHERE user_id = $1", user_id)


async def delete_assignments_of(conn: Connection, user_id: uuid.UUID) -> int:
    return await deleted(
        conn,
        "DELETE FROM assignments WHERE requester_id = $1 OR volunteer_id = $1",
        user_id,
    )


# --- export ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MailToPerson:
    id: int
    kind: str
    group_id: uuid.UUID | None
    context: JsonObject
    status: str
    created_at: datetime
    sent_at: datetime | None
    attempts: int


@dataclass(frozen=True)
class PersonalRows:
    """The person's rows of every notifications table that names them."""

    mails: list[MailToPerson]
    about: list[MailAboutPerson]
    orders: list[uuid.UUID]
    pairings: list[ExportedPairing]
    ended: list[EndedMembership]


async def personal_rows(conn: Connection, user_id: uuid.UUID) -> PersonalRows:
    # A context that is not a JSON object (none is written so) reads as an empty one.
    mails = await rows_as(
        conn,
        MailToPerson,
        "SELECT id, kind, group_id,"
        " CASE WHEN jsonb_typeof(context) = 'object' THEN context ELSE '{}'::jsonb END AS context,"
        " status, created_at, sent_at, attempts"
        " FROM email_outbox WHERE recipient_id = $1 ORDER BY created_at, id",
        user_id,
    )
    about = await rows_as(
        conn,
        MailAboutPerson,
        "SELECT kind, status, group_id, context->>'distribution_id' AS distribution_id,"
        " created_at, sent_at FROM email_outbox"
        " WHERE related_user_id = $1 AND recipient_id <> $1 ORDER BY created_at, id",
        user_id,
    )
    orders = await conn.fetch(
        "SELECT distribution_id FROM orders WHERE user_id = $1 ORDER BY distribution_id",
        user_id,
    )
    pairings = await rows_as(
        conn,
        ExportedPairing,
        "SELECT request_id,"
        " CASE WHEN requester_id = $1 THEN 'requester' ELSE 'volunteer' END AS role,"
        " group_id, distribution_id FROM assignments"
        " WHERE requester_id = $1 OR volunteer_id = $1 ORDER BY request_id",
        user_id,
    )
    return PersonalRows(
        mails=mails,
        about=about,
        orders=[r["distribution_id"] for r in orders],
        pairings=pairings,
        ended=await memberships_ended(conn, user_id),
    )


# --- retention -------------------------------------------------------------------------------


async def purge_old_mail(conn: Connection, days: int) -> int:
    """Sent or dropped mail older than `days`, and the fan-outs done as long ago."""
    mail = await deleted(
        conn,
        "DELETE FROM email_outbox WHERE status IN ('sent', 'dropped') AND"
        " coalesce(sent_at, created_at) < now() - make_interval(days => $1)",
        days,
    )
    fanouts = await deleted(
        conn,
        "DELETE FROM fanouts WHERE status = 'done' AND created_at < now() -"
        " make_interval(days => $1)",
        days,
    )
    return mail + fanouts
