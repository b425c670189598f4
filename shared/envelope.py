"""CloudEvents 1.0 structured-mode envelope carried on `vrac.events`."""

import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class CloudEvent(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    specversion: str = "1.0"
    id: uuid.UUID
    source: str
    type: str
    time: datetime
    subject: str | None = None
    datacontenttype: str = "application/json"
    groupid: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


def new_event(
    event_type: str,
    source: str,
    data: BaseModel,
    subject: str | None = None,
    group_id: uuid.UUID | str | None = None,
) -> CloudEvent:
    """`event_type` is the routing key, e.g. `accounts.member.joined.v1`."""
    return CloudEvent(
        id=uuid.uuid4(),
        source=source,
        type=event_type,
        time=datetime.now(UTC),
        subject=subject,
        groupid=str(group_id) if group_id is not None else None,
        data=data.model_dump(mode="json"),
    )
