"""Turn a queued mail (ids + non-personal event data) into a message, at send time: contact
details come from accounts now, the slot from logistics, the distribution from our table."""

import uuid
from datetime import UTC, datetime
from typing import Any

from services.notifications import repository as repo
from services.notifications.domain import (
    Kind,
    context_uuid,
    format_date,
    format_datetime,
    format_money,
    format_phone,
    format_quantity,
    format_time,
    language_of,
)
from services.notifications.mail import OutgoingMail, make_address, parse_mailbox
from services.notifications.rendering import Renderer
from services.notifications.repository import QueuedMail
from services.notifications.settings import NotificationsSettings
from shared.clients import Gone
from shared.clients.accounts import AccountsClient, PersonContact
from shared.clients.logistics import LogisticsClient
from shared.db import Connection
from shared.logging import get_logger

log = get_logger(__name__)


class NotReadyYet(Exception):
    """Something the mail needs has not arrived yet (the distribution): try again later."""


def requester_details(contact: PersonContact, consented_fields: list[str]) -> dict[str, Any]:
    """What the volunteer sees of the requester: the name, and only the consented fields."""
    consented = set(consented_fields)
    return {
        "name": contact.full_name,
        "address_lines": contact.address_lines if "address" in consented else [],
        "phone": _phone(contact.phone) if "phone" in consented else None,
        "email": contact.email if "email" in consented else None,
    }


def volunteer_details(contact: PersonContact) -> dict[str, Any]:
    """What the requester sees of the volunteer: name, phone and email (they volunteered)."""
    return {"name": contact.full_name, "phone": _phone(contact.phone), "email": contact.email}


def _phone(stored: str | None) -> str | None:
    return format_phone(stored) if stored else None


class Composer:
    def __init__(
        self,
        settings: NotificationsSettings,
        accounts: AccountsClient,
        logistics: LogisticsClient,
        renderer: Renderer | None = None,
    ) -> None:
        self.settings = settings
        self.accounts = accounts
        self.logistics = logistics
        self.renderer = renderer or Renderer()
        self.sender = parse_mailbox(settings.mail_from)

    async def compose(self, conn: Connection, mail: QueuedMail) -> OutgoingMail:
        recipient = await self.accounts.contact(mail.recipient_id)
        language = language_of(recipient.language)
        context: dict[str, Any] = {
            "recipient_name": recipient.first_name or recipient.display_name,
            "group_name": None,
            "orders_link": self.settings.web_base_url.rstrip("/") + "/",
            "distribution": None,
        }
        group_id = mail.group_id or context_uuid(mail.context.get("group_id"))
        if group_id is not None:
            await self._add_group(context, group_id)
        distribution_id = context_uuid(mail.context.get("distribution_id"))
        if distribution_id is not None:
            context["distribution"] = await self._distribution(
                conn, distribution_id, language, mail.attempts
            )
        await self._add_kind_details(mail, context, language)
        rendered = self.renderer.render(mail.kind, language, context)
        return OutgoingMail(
            sender=self.sender,
            recipient=make_address(recipient.full_name, recipient.email),
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            message_id=f"<{mail.event_id}.{mail.id}@{self.settings.message_id_domain}>",
            language=language,
            date=datetime.now(UTC),
        )

    async def _add_group(self, context: dict[str, Any], group_id: uuid.UUID) -> None:
        try:
            group = await self.accounts.group(group_id)
        except Gone:
            return
        context["group_name"] = group.name
        if group.join_path.startswith("/"):
            context["orders_link"] = self.settings.web_base_url.rstrip("/") + group.join_path

    async def _distribution(
        self, conn: Connection, distribution_id: uuid.UUID, language: str, attempts: int
    ) -> dict[str, Any] | None:
        row = await repo.get_distribution(conn, distribution_id)
        if row is None:
            if attempts < self.settings.distribution_wait_attempts:
                raise NotReadyYet("distribution not known yet")
            return None  # waited long enough: the mail goes without the date and place
        return {
            "date": format_date(row.starts_at, language),
            "window": f"{format_time(row.starts_at, language)} – "
            f"{format_time(row.ends_at, language)}",
            "place_name": row.place_name,
            "place_address": row.place_address,
            "closes_at": format_datetime(row.closes_at, language),
        }

    async def _add_kind_details(
        self, mail: QueuedMail, context: dict[str, Any], language: str
    ) -> None:
        ctx = mail.context
        if mail.kind in (Kind.PAIRING_VOLUNTEER, Kind.PAIRING_REQUESTER):
            await self._require_both_members(mail)
        if mail.kind is Kind.PAIRING_VOLUNTEER:
            requester = await self.accounts.contact(uuid.UUID(ctx["requester_id"]))
            context["requester"] = requester_details(requester, list(ctx["consented_fields"]))
        elif mail.kind is Kind.PAIRING_REQUESTER:
            volunteer = await self.accounts.contact(uuid.UUID(ctx["volunteer_id"]))
            context["volunteer"] = volunteer_details(volunteer)
        elif mail.kind is Kind.VOLUNTEER_WITHDREW_COORDINATOR:
            context["requester_first_name"] = await self._first_name(ctx.get("requester_id"))
            context["requester_first_name"] = context["requester_first_name"] or "?"
        elif mail.kind is Kind.DELIVERY_NOT_NEEDED:
            # None when the requester was erased: the template then says "the delivery you took".
            context["requester_first_name"] = await self._first_name(ctx.get("requester_id"))
            context["reason"] = ctx.get("reason") or "requester_cancelled"
        elif mail.kind is Kind.VOLUNTEER_WITHDREW:
            context["reason"] = ctx.get("reason") or "volunteer_withdrew"
            context["volunteer_first_name"] = await self._first_name(ctx.get("volunteer_id"))
        elif mail.kind is Kind.ORDER_CONFIRMATION:
            await self._add_order(mail, context, language)
        elif mail.kind is Kind.PASSWORD_RESET:
            # Handed out once by accounts: it lives only in this message from here on.
            token = await self.accounts.reset_token(uuid.UUID(ctx["reset_id"]))
            base = self.settings.web_base_url.rstrip("/")
            context["reset_link"] = f"{base}/mot-de-passe/nouveau?token={token}"

    async def _first_name(self, user_id: object) -> str | None:
        person = context_uuid(user_id)
        if person is None:
            return None
        try:
            return (await self.accounts.contact(person)).first_name or None
        except Gone:
            return None

    async def _require_both_members(self, mail: QueuedMail) -> None:
        """A pairing mail hands out contact details: only while both people are still members of
        the group. A claim made by someone who had just left (their token still valid, the end
        not yet known to logistics) is stopped here; logistics then ends the pairing."""
        ctx = mail.context
        group_id = mail.group_id or context_uuid(ctx.get("group_id"))
        people = {context_uuid(ctx.get("requester_id")), context_uuid(ctx.get("volunteer_id"))}
        if group_id is None or None in people:
            raise Gone("pairing without its group or people")
        members = {m.user_id for m in await self.accounts.members(group_id)}
        if not people <= members:
            raise Gone("a side of the pairing is no longer a member of the group")

    async def _add_order(self, mail: QueuedMail, context: dict[str, Any], language: str) -> None:
        ctx = mail.context
        context["updated"] = bool(ctx.get("updated"))
        context["total"] = format_money(int(ctx["total_cents"]), language)
        context["lines"] = [
            {
                "quantity": format_quantity(str(line["quantity"]), language),
                "name": line["product_name"],
                "unit": (line.get("unit_label") or "") if line.get("bulk") else "",
                "unit_price": format_money(int(line["unit_price_cents"]), language),
                "total": format_money(int(line["line_total_cents"]), language),
            }
            for line in ctx.get("lines", [])
        ]
        distribution_id = context_uuid(ctx.get("distribution_id"))
        context["slot"] = {"state": "unknown", "time": None}
        if distribution_id is not None:
            context["slot"] = await self._slot(distribution_id, mail.recipient_id, language)

    async def _slot(
        self, distribution_id: uuid.UUID, user_id: uuid.UUID, language: str
    ) -> dict[str, Any]:
        """The member's slot; "unknown" when logistics did not answer (the mail still goes)."""
        try:
            booking = await self.logistics.booking(distribution_id, user_id)
        except Exception as exc:
            log.warning("slot_lookup_failed", error=repr(exc))
            return {"state": "unknown", "time": None}
        if booking is None:
            return {"state": "none", "time": None}
        start = format_time(booking.starts_at, language)
        end = format_time(booking.ends_at, language)
        return {"state": "booked", "time": f"{start} – {end}"}
