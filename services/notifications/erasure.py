"""Erasure in notifications (`accounts.user.erased.v1`): the person's own mail and every id-only
trace of them go; mail to others loses its mention of them, and a pending notice to the other
side of a pairing still goes, so whichever of erasure and the logistics event comes first, the
remaining person is told once and nothing here points back to the erased person afterwards."""

import uuid

from services.notifications.domain import Kind
from services.notifications.repository import personal as repo
from services.notifications.repository.mail import JsonObject
from shared.db import Connection

# Context keys that hold the id of the other person of a pairing (never a name or an address).
PERSON_KEYS = ("requester_id", "volunteer_id")
# Mails that are about another person but written for the recipient's sake: they still go after
# that person is erased, without the erased person's id (the template says "the person").
NOTICE_KINDS = (Kind.DELIVERY_NOT_NEEDED.value, Kind.VOLUNTEER_WITHDREW.value)


async def erase_user(conn: Connection, user_id: uuid.UUID) -> dict[str, int]:
    """Mail to the person and every id-only trace of them. Mail to others that mentions them
    loses the mention: a pending notice still goes (the remaining side must be told), a pending
    pairing mail is dropped (it would hand out the erased person's details), history stays."""
    mail = await repo.delete_mail_to(conn, user_id)
    text = str(user_id)
    mentions = await repo.mails_mentioning(conn, user_id)
    for mention in mentions:
        drop = mention.status == "pending" and mention.kind not in NOTICE_KINDS
        await repo.forget_mention_in_mail(conn, mention.id, _without(mention.context, text), drop)
    fanouts = await repo.fanouts_mentioning(conn, user_id)
    for fanout in fanouts:
        await repo.set_fanout_context(conn, fanout.id, _without(fanout.context, text))
    orders = await repo.delete_orders_of(conn, user_id)
    assignments = await repo.delete_assignments_of(conn, user_id)
    return {
        "mail": mail,
        "mentions": len(mentions) + len(fanouts),
        "orders": orders,
        "assignments": assignments,
    }


def _without(context: JsonObject, user_id: str) -> JsonObject:
    return {k: (None if k in PERSON_KEYS and v == user_id else v) for k, v in context.items()}
