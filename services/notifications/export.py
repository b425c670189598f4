"""Everything notifications holds about one person, for the member's download (GDPR Art. 15/20):
the mails written to them (kind, state, dates, and the subject in their language, rendered from
the same templates as the mail), the mails written to others about them (a pairing: who got the
details is the other person, left out), and the ids it keeps (orders, pairings).

Names in a subject (the other person of a pairing, the group) are asked of accounts at export
time, as the sender does at send time; a person erased since shows as « ? »."""

import uuid
from collections.abc import AsyncIterator

import aiohttp
import jinja2
from aiohttp import web

from services.notifications.domain import Kind, context_uuid, language_of
from services.notifications.models import ExportedMail, NotificationsExport
from services.notifications.rendering import TEMPLATES, clean_values
from services.notifications.repository import personal as repo
from services.notifications.settings import NotificationsSettings
from shared.clients import Gone, InternalApi, ServiceTokens
from shared.clients.accounts import AccountsClient
from shared.db import Database
from shared.logging import get_logger
from shared.problems import not_found

log = get_logger(__name__)
HTTP_TIMEOUT = aiohttp.ClientTimeout(total=10, connect=3)
ACCOUNTS_KEY = web.AppKey("export_accounts", AccountsClient)
# Like the sender's subject environment, but lenient: a value the export cannot know (a template
# changed since) renders empty instead of failing the whole download.
_SUBJECTS = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=False,  # noqa: S701 (a subject line, not HTML)
    undefined=jinja2.ChainableUndefined,
)


def install(app: web.Application, settings: NotificationsSettings) -> None:
    """An accounts client for the export's names, with its own HTTP session and service token."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        async with aiohttp.ClientSession(timeout=HTTP_TIMEOUT) as session:
            tokens = ServiceTokens(session, settings.accounts_url, settings.service_secret)
            app[ACCOUNTS_KEY] = AccountsClient(InternalApi(session, settings.accounts_url, tokens))
            yield

    app.cleanup_ctx.append(context)


class _Names:
    """Names asked of accounts once per export."""

    def __init__(self, accounts: AccountsClient) -> None:
        self.accounts = accounts
        self.people: dict[uuid.UUID, tuple[str, str]] = {}
        self.groups: dict[uuid.UUID, str | None] = {}

    async def person(self, value: object) -> tuple[str, str]:
        """(first name, full name), « ? » for someone erased since."""
        user_id = context_uuid(value)
        if user_id is None:
            return "?", "?"
        if user_id not in self.people:
            try:
                contact = await self.accounts.contact(user_id)
                self.people[user_id] = (contact.first_name or "?", contact.full_name or "?")
            except Gone:
                self.people[user_id] = ("?", "?")
        return self.people[user_id]

    async def group(self, group_id: uuid.UUID | None) -> str | None:
        if group_id is None:
            return None
        if group_id not in self.groups:
            try:
                name = (await self.accounts.group(group_id)).name
                self.groups[group_id] = name or None
            except Gone:
                self.groups[group_id] = None
        return self.groups[group_id]


async def _subject(
    names: _Names, mail: repo.MailToPerson, group_id: uuid.UUID | None, language: str
) -> str | None:
    """The subject line as the sender renders it, from the template of the mail's kind."""
    ctx = mail.context
    try:
        kind = Kind(mail.kind)
    except ValueError:
        return None
    requester_first, requester_full = await names.person(ctx.get("requester_id"))
    volunteer_full = "?"
    if kind is Kind.PAIRING_REQUESTER:
        volunteer_full = (await names.person(ctx.get("volunteer_id")))[1]
    context = clean_values(
        {
            **ctx,
            "recipient_name": "",
            "group_name": await names.group(group_id),
            "updated": bool(ctx.get("updated")),
            "requester_first_name": requester_first,
            "requester": {"name": requester_full},
            "volunteer": {"name": volunteer_full},
            "distribution": None,
        }
    )
    env = _SUBJECTS
    try:
        template = env.get_template(f"{language}/{kind.value}.j2")
        macros = env.get_template(f"{language}/_macros.j2").module
        text = "".join(template.blocks["subject"](template.new_context({**context, "m": macros})))
    except (jinja2.TemplateError, KeyError) as exc:
        # A template that needs more than the export knows: the mail is listed without it.
        log.warning("export_subject_failed", kind=kind.value, error=type(exc).__name__)
        return None
    return " ".join(text.split())


async def export_user(
    db: Database, accounts: AccountsClient, user_id: uuid.UUID
) -> NotificationsExport:
    try:
        language = language_of((await accounts.contact(user_id)).language)
    except Gone:
        raise not_found("Personne", "Person") from None
    # Names are asked of accounts after the connection is given back.
    async with db.transaction("repeatable_read") as conn:
        rows = await repo.personal_rows(conn, user_id)
    names = _Names(accounts)
    exported = []
    for mail in rows.mails:
        group_id = mail.group_id or context_uuid(mail.context.get("group_id"))
        exported.append(
            ExportedMail(
                mail_id=mail.id,
                kind=mail.kind,
                subject=await _subject(names, mail, group_id, language),
                language=language,
                status=mail.status,
                group_id=group_id,
                distribution_id=context_uuid(mail.context.get("distribution_id")),
                created_at=mail.created_at,
                sent_at=mail.sent_at,
                attempts=mail.attempts,
            )
        )
    groups = {m.group_id for m in exported if m.group_id is not None}
    groups |= {r.group_id for r in rows.about if r.group_id is not None}
    groups |= {r.group_id for r in rows.pairings} | {r.group_id for r in rows.ended}
    return NotificationsExport(
        user_id=user_id,
        group_ids=sorted(groups, key=str),
        language=language,
        mails=exported,
        mails_about_you=rows.about,
        orders=rows.orders,
        pairings=rows.pairings,
        memberships_ended=rows.ended,
    )
