"""Events published by the accounts service."""

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["member", "coordinator"]
Language = Literal["fr", "en", "de"]


class _Contract(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MemberJoinedV1(_Contract):
    """A person joined a group (sign-up through the join link, or join of an existing account)."""

    user_id: uuid.UUID
    group_id: uuid.UUID
    group_slug: str
    role: Role
    first_name: str = Field(description="First name only; shown to volunteers")
    postcode: str | None = Field(default=None, description="Neighbourhood, for volunteers")
    language: Language


class MemberUpdatedV1(_Contract):
    """A member's profile changed (which fields, never their values except name/postcode)."""

    user_id: uuid.UUID
    group_ids: list[uuid.UUID]
    changed_fields: list[str]
    first_name: str
    postcode: str | None = None
    language: Language


class MemberLeftV1(_Contract):
    user_id: uuid.UUID
    group_id: uuid.UUID


class UserErasedV1(_Contract):
    """Every service deletes or anonymises what it holds about this user."""

    user_id: uuid.UUID
    group_ids: list[uuid.UUID]


class PasswordResetRequestedV1(_Contract):
    """The link's secret is not here: notifications fetches it from accounts' internal API."""

    reset_id: uuid.UUID
    user_id: uuid.UUID
    language: Language


CONTRACTS: dict[str, type[BaseModel]] = {
    "accounts.member.joined.v1": MemberJoinedV1,
    "accounts.member.updated.v1": MemberUpdatedV1,
    "accounts.member.left.v1": MemberLeftV1,
    "accounts.user.erased.v1": UserErasedV1,
    "accounts.password_reset.requested.v1": PasswordResetRequestedV1,
}
