"""Accounts' internal API (`/internal/...`), as the other services see it: the response models
are the shapes accounts answers with, declared here once (services/accounts/models.py answers
with subclasses: `Contact`, `Group`, `InternalMember`, `ResetDelivery`, `PersonDetails`,
`MemberRow`, `Membership`, `Me`), and `AccountsClient` returns them."""

import time
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Literal, TypeVar

from pydantic import BaseModel

from shared.clients.base import Gone, InternalApi, Unavailable, parse
from shared.clients.public import Answer, PublicClient
from shared.contracts.accounts import Language

GROUP_CACHE_SECONDS = 60.0
M = TypeVar("M", bound=BaseModel)


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

    async def _get(
        self, model: type[M], path: str, what: str, gone: str, gone_statuses: tuple[int, ...]
    ) -> M:
        status, body = await self.api.get_json(path)
        if status in gone_statuses:
            raise Gone(gone)
        if body is None:
            raise Unavailable(f"{what}: HTTP {status}")
        return parse(model, body, what)

    async def contact(self, user_id: uuid.UUID) -> PersonContact:
        path = f"/internal/users/{user_id}/contact"
        return await self._get(PersonContact, path, "contact", "user erased or unknown", (404, 410))

    async def group(self, group_id: uuid.UUID) -> Group:
        """Kept a minute: a group's name and link change rarely."""
        cached = self._groups.get(group_id)
        if cached is not None and time.monotonic() - cached[0] < GROUP_CACHE_SECONDS:
            return cached[1]
        group = await self._get(
            Group, f"/internal/groups/{group_id}", "group", "group unknown", (404,)
        )
        self._groups[group_id] = (time.monotonic(), group)
        return group

    async def members(self, group_id: uuid.UUID) -> list[GroupMember]:
        path = f"/internal/groups/{group_id}/members"
        return (await self._get(GroupMembers, path, "members", "group unknown", (404,))).members

    async def reset_token(self, reset_id: uuid.UUID) -> str:
        """Handed out once by accounts: keep it only in the message being sent."""
        gone = "reset link already handed out or expired"
        path = f"/internal/password-resets/{reset_id}"
        delivery = await self._get(ResetDelivery, path, "password reset", gone, (404, 410))
        return delivery.token


# The public API as the web reads it with the member's token (services/accounts/models.py's
# `MemberRow`, `Membership` and `Me` subclass these; its `MemberList` and `GroupList` list its own
# subclasses).


class MemberRow(Answer):
    user_id: uuid.UUID
    first_name: str
    last_name: str
    display_name: str
    email: str
    phone: str | None
    role: str
    missing: list[str]


class Membership(Answer):
    """One group of `Me.memberships`: the member's role there and the contact details the group
    requires that they have not given yet."""

    group: Group
    role: Literal["member", "coordinator"]
    missing: list[str]


class Me(PersonDetails):
    """`GET /v1/me` (also the answer of `PATCH /v1/me`)."""

    id: uuid.UUID
    admin: bool
    # A Sequence (read-only, covariant): accounts' `Me` lists its own `Membership` subclass.
    memberships: Sequence[Membership]


class MemberList(Answer):
    """`GET /v1/groups/{group_id}/members` (coordinators)."""

    members: list[MemberRow]


class GroupList(Answer):
    """`GET /v1/groups` (anyone)."""

    groups: list[Group]


class PublicAccountsClient(PublicClient):
    service = "accounts"

    async def me(self) -> Me:
        return await self.get(Me, "/v1/me")

    async def group_by_slug(self, slug: str) -> Group:
        """The group of a join link; an unknown slug is the transport's 404 error."""
        return await self.get(Group, f"/v1/groups/by-slug/{slug}")

    async def groups(self) -> list[Group]:
        return (await self.get(GroupList, "/v1/groups")).groups

    async def update_me(self, body: object) -> None:
        await self.send("PATCH", "/v1/me", body)

    async def erase_me(self, password: str) -> None:
        """The member's account erased (their password asked again); 403 wrong-password."""
        await self.send("POST", "/v1/me/erase", {"password": password})

    async def confirm_password_reset(self, token: str, new_password: str) -> None:
        """The emailed link's new password (no member token: the link's token is the proof)."""
        await self.send(
            "POST", "/v1/password-resets/confirm", {"token": token, "new_password": new_password}
        )

    async def join_group(self, group_id: object) -> None:
        await self.send("POST", f"/v1/groups/{group_id}/members/me")

    async def leave_group(self, group_id: object) -> None:
        await self.send("DELETE", f"/v1/groups/{group_id}/members/me")

    async def update_group(self, group_id: object, body: object) -> None:
        """An administrator's change of a group (name, city, coordinator shown, rules)."""
        await self.send("PATCH", f"/v1/groups/{group_id}", body)

    async def name_coordinator(self, group_id: object, user_id: object) -> None:
        await self.send("PUT", f"/v1/groups/{group_id}/coordinators/{user_id}")

    async def members(self, group_id: object) -> list[MemberRow]:
        return (await self.get(MemberList, f"/v1/groups/{group_id}/members")).members
