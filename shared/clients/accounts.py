"""Accounts' internal API (`/internal/...`), as the other services see it: the response models
are the shapes accounts answers with (services/accounts/models.py: `Contact`, `Group`,
`InternalMemberList`, `ResetDelivery`), and `AccountsClient` returns them."""

import time
import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from shared.clients.base import Gone, InternalApi, Unavailable, parse
from shared.contracts.accounts import Language

GROUP_CACHE_SECONDS = 60.0


class Answer(BaseModel):
    """An answer of accounts: read-only; fields accounts adds later are ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class PersonDetails(Answer):
    """A person's details as accounts keeps them (`null` when not given)."""

    first_name: str
    last_name: str
    display_name: str
    email: str
    phone: str | None
    street: str | None
    postcode: str | None
    city: str | None
    language: Language

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or self.display_name

    @property
    def address_lines(self) -> list[str]:
        town = " ".join(p for p in (self.postcode, self.city) if p)
        return [line for line in (self.street, town) if line]


class PersonContact(PersonDetails):
    """`GET /internal/users/{user_id}/contact`."""

    user_id: uuid.UUID


class Group(Answer):
    """`GET /internal/groups/{group_id}`."""

    id: uuid.UUID
    slug: str
    name: str
    city: str
    coordinator_name: str
    coordinator_email: str
    contact_email: str
    phone_required: bool
    address_required: bool
    join_path: str


class GroupMember(Answer):
    user_id: uuid.UUID
    role: Literal["member", "coordinator"]
    language: Language
    first_name: str


class GroupMembers(Answer):
    """`GET /internal/groups/{group_id}/members`."""

    members: list[GroupMember]


class ResetDelivery(Answer):
    """`GET /internal/password-resets/{reset_id}`: the link's token, handed out once."""

    reset_id: uuid.UUID
    user_id: uuid.UUID
    token: str
    language: Language
    expires_at: datetime


class AccountsClient:
    """404/410 raise Gone (erased or unknown); anything else unusable raises Unavailable."""

    def __init__(self, api: InternalApi) -> None:
        self.api = api
        self._groups: dict[uuid.UUID, tuple[float, Group]] = {}

    async def contact(self, user_id: uuid.UUID) -> PersonContact:
        status, body = await self.api.get_json(f"/internal/users/{user_id}/contact")
        if status in (404, 410):
            raise Gone("user erased or unknown")
        if body is None:
            raise Unavailable(f"contact: HTTP {status}")
        return parse(PersonContact, body, "contact")

    async def group(self, group_id: uuid.UUID) -> Group:
        """Kept a minute: a group's name and link change rarely."""
        cached = self._groups.get(group_id)
        if cached is not None and time.monotonic() - cached[0] < GROUP_CACHE_SECONDS:
            return cached[1]
        status, body = await self.api.get_json(f"/internal/groups/{group_id}")
        if body is None:
            if status == 404:
                raise Gone("group unknown")
            raise Unavailable(f"group: HTTP {status}")
        group = parse(Group, body, "group")
        self._groups[group_id] = (time.monotonic(), group)
        return group

    async def members(self, group_id: uuid.UUID) -> list[GroupMember]:
        status, body = await self.api.get_json(f"/internal/groups/{group_id}/members")
        if body is None:
            if status == 404:
                raise Gone("group unknown")
            raise Unavailable(f"members: HTTP {status}")
        return parse(GroupMembers, body, "members").members

    async def reset_token(self, reset_id: uuid.UUID) -> str:
        """Handed out once by accounts: keep it only in the message being sent."""
        status, body = await self.api.get_json(f"/internal/password-resets/{reset_id}")
        if status in (404, 410):
            raise Gone("reset link already handed out or expired")
        if body is None:
            raise Unavailable(f"password reset: HTTP {status}")
        return parse(ResetDelivery, body, "password reset").token
