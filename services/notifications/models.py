"""Response bodies of the notifications API: the development mail sink (the handlers build its
dicts: mailsink.summary; these models are for the OpenAPI document) and a person's export (the
repository reads its rows straight into them)."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from services.notifications.domain import context_uuid
from shared.personal_export import PersonalDataExport
from shared.revocations import EndedMembership

# An id read from a mail's context (text): one that is not an id exports as null.
ContextUuid = Annotated[uuid.UUID | None, BeforeValidator(context_uuid)]


class SinkMail(BaseModel):
    """One mail the development sink received (mailsink.summary); empty strings when absent."""

    model_config = ConfigDict(populate_by_name=True)

    id: int
    received_at: datetime
    from_: str = Field(alias="from")
    to: str
    envelope_to: list[str]
    subject: str
    language: str
    text: str
    html: str


class SinkMails(BaseModel):
    messages: list[SinkMail]


class ExportedMail(BaseModel):
    mail_id: int
    kind: str
    subject: str | None
    language: str
    status: str
    group_id: uuid.UUID | None
    distribution_id: uuid.UUID | None
    created_at: datetime
    sent_at: datetime | None
    attempts: int


class MailAboutPerson(BaseModel):
    """A mail to someone else that carried the person's details (a delivery pairing)."""

    kind: str
    status: str
    group_id: uuid.UUID | None
    distribution_id: ContextUuid
    created_at: datetime
    sent_at: datetime | None


class ExportedPairing(BaseModel):
    request_id: uuid.UUID
    role: Literal["requester", "volunteer"]
    group_id: uuid.UUID
    distribution_id: uuid.UUID


class NotificationsExport(PersonalDataExport):
    service: Literal["notifications"] = "notifications"
    language: str
    mails: list[ExportedMail]
    mails_about_you: list[MailAboutPerson]
    # Distributions for which notifications knows the person has an order (the closing reminder
    # skips them).
    orders: list[uuid.UUID]
    pairings: list[ExportedPairing]
    memberships_ended: list[EndedMembership]
