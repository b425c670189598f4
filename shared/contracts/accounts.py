"""Events published by the accounts service."""

import uuid
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["member", "coordinator"]
Language = Literal["fr", "en", "de"]


class _Contract(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    # Set by every event model (not by its parts): the routing key it is published under.
    ROUTING_KEY: ClassVar[str]


class MemberJoinedV1(_Contract):
    """A person joined a group (sign-up through the join link, or join of an existing account)."""

    ROUTING_KEY: ClassVar[str] = "accounts.member.joined.v1"

    user_id: uuid.UUID
    group_id: uuid.UUID
    group_slug: str
    role: Role
    first_name: str = Field(description="First name only; shown to volunteers")
    postcode: str | None = Field(default=None, description="Neighbourhood, for volunteers")
    language: Language


class MemberUpdatedV1(_Contract):
    """A member's profile changed (which fields, never their values except name/postcode)."""

    ROUTING_KEY: ClassVar[str] = "accounts.member.updated.v1"

    user_id: uuid.UUID
    group_ids: list[uuid.UUID]
    changed_fields: list[str]
    first_name: str
    postcode: str | None = None
    language: Language


class MemberLeftV1(_Contract):
    ROUTING_KEY: ClassVar[str] = "accounts.member.left.v1"

    user_id: uuid.UUID
    group_id: uuid.UUID


class UserErasedV1(_Contract):
    """Every service deletes or anonymises what it holds about this user."""

    ROUTING_KEY: ClassVar[str] = "accounts.user.erased.v1"

    user_id: uuid.UUID
    group_ids: list[uuid.UUID]


class PasswordResetRequestedV1(_Contract):
    """The link's secret is not here: notifications fetches it from accounts' internal API."""

    ROUTING_KEY: ClassVar[str] = "accounts.password_reset.requested.v1"

    reset_id: uuid.UUID
    user_id: uuid.UUID
    language: Language


EVENTS: tuple[type[_Contract], ...] = (
    MemberJoinedV1,
    MemberUpdatedV1,
    MemberLeftV1,
    UserErasedV1,
    PasswordResetRequestedV1,
)
CONTRACTS: dict[str, type[BaseModel]] = {event.ROUTING_KEY: event for event in EVENTS}
