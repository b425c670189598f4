"""Response bodies of the notifications API, for the OpenAPI document only (the handlers build
the dicts: mailsink.summary)."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


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
