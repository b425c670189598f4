"""HTTP clients of the internal APIs: accounts (contacts, groups, members, reset tokens) and
logistics (slot bookings). A service token from accounts is cached until shortly before expiry."""

import asyncio
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp

from shared.logging import get_logger

log = get_logger(__name__)
TOKEN_MARGIN_SECONDS = 30.0


class Unavailable(Exception):
    """The other service did not answer usefully: try again later."""


class Gone(Exception):
    """The thing asked for does not exist any more (erased person, used reset token)."""


@dataclass(frozen=True)
class Contact:
    user_id: uuid.UUID
    first_name: str
    last_name: str
    display_name: str
    email: str
    phone: str | None
    street: str | None
    postcode: str | None
    city: str | None
    language: str

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or self.display_name

    @property
    def address_lines(self) -> list[str]:
        town = " ".join(p for p in (self.postcode, self.city) if p)
        return [line for line in (self.street, town) if line]

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> "Contact":
        return cls(
            user_id=uuid.UUID(str(body["user_id"])),
            first_name=str(body.get("first_name") or ""),
            last_name=str(body.get("last_name") or ""),
            display_name=str(body.get("display_name") or ""),
            email=str(body.get("email") or ""),
            phone=body.get("phone") or None,
            street=body.get("street") or None,
            postcode=body.get("postcode") or None,
            city=body.get("city") or None,
            language=str(body.get("language") or "fr"),
        )


@dataclass(frozen=True)
class Member:
    user_id: uuid.UUID
    role: str
    language: str


class ServiceTokens:
    """`POST /v1/service-tokens` on accounts; one token shared by every call until near expiry."""

    def __init__(self, session: aiohttp.ClientSession, accounts_url: str, secret: str) -> None:
        self.session = session
        self.accounts_url = accounts_url.rstrip("/")
        self.secret = secret
        self._token: str | None = None
        self._valid_until = 0.0
        self._lock = asyncio.Lock()

    async def get(self) -> str:
        async with self._lock:
            if self._token is None or time.monotonic() >= self._valid_until:
                await self._fetch()
            assert self._token is not None
            return self._token

    def invalidate(self) -> None:
        self._token = None

    async def _fetch(self) -> None:
        try:
            async with self.session.post(
                f"{self.accounts_url}/v1/service-tokens",
                json={"service": "notifications", "secret": self.secret},
            ) as resp:
                if resp.status != 200 and resp.status != 201:
                    raise Unavailable(f"service token refused: HTTP {resp.status}")
                body = await resp.json()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise Unavailable(f"accounts unreachable: {exc!r}") from exc
        self._token = str(body["access_token"])
        lifetime = float(body.get("expires_in", 300))
        self._valid_until = time.monotonic() + max(lifetime - TOKEN_MARGIN_SECONDS, lifetime / 2)


class InternalApi:
    """GET with the service token; retried once with a fresh token on 401."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str, tokens: ServiceTokens):
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.tokens = tokens

    async def get_json(self, path: str) -> tuple[int, Any]:
        for attempt in (1, 2):
            token = await self.tokens.get()
            try:
                async with self.session.get(
                    f"{self.base_url}{path}", headers={"Authorization": f"Bearer {token}"}
                ) as resp:
                    if resp.status == 401 and attempt == 1:
                        self.tokens.invalidate()
                        continue
                    if resp.status >= 500 or resp.status in (401, 403, 429):
                        raise Unavailable(f"GET {path.split('/')[1]}...: HTTP {resp.status}")
                    if resp.status >= 400:
                        return resp.status, None
                    return resp.status, await resp.json()
            except (aiohttp.ClientError, TimeoutError) as exc:
                raise Unavailable(f"{self.base_url} unreachable: {exc!r}") from exc
        raise Unavailable("unauthorised twice")


class AccountsClient:
    def __init__(self, api: InternalApi) -> None:
        self.api = api
        self._groups: dict[uuid.UUID, tuple[float, dict[str, Any]]] = {}

    async def contact(self, user_id: uuid.UUID) -> Contact:
        status, body = await self.api.get_json(f"/internal/users/{user_id}/contact")
        if status in (404, 410):
            raise Gone("user erased or unknown")
        if body is None:
            raise Unavailable(f"contact: HTTP {status}")
        return Contact.from_json(body)

    async def group(self, group_id: uuid.UUID) -> dict[str, Any]:
        cached = self._groups.get(group_id)
        if cached is not None and time.monotonic() - cached[0] < 60:
            return cached[1]
        status, body = await self.api.get_json(f"/internal/groups/{group_id}")
        if body is None:
            if status == 404:
                raise Gone("group unknown")
            raise Unavailable(f"group: HTTP {status}")
        self._groups[group_id] = (time.monotonic(), body)
        return dict(body)

    async def members(self, group_id: uuid.UUID) -> list[Member]:
        status, body = await self.api.get_json(f"/internal/groups/{group_id}/members")
        if body is None:
            if status == 404:
                raise Gone("group unknown")
            raise Unavailable(f"members: HTTP {status}")
        return [
            Member(
                uuid.UUID(str(m["user_id"])),
                str(m.get("role", "member")),
                str(m.get("language") or "fr"),
            )
            for m in body.get("members", [])
        ]

    async def reset_token(self, reset_id: uuid.UUID) -> str:
        """Handed out once by accounts: keep it only in the message being sent."""
        status, body = await self.api.get_json(f"/internal/password-resets/{reset_id}")
        if status in (404, 410):
            raise Gone("reset link already handed out or expired")
        if body is None:
            raise Unavailable(f"password reset: HTTP {status}")
        return str(body["token"])


@dataclass(frozen=True)
class SlotAnswer:
    """`known` False: logistics did not answer; `starts_at` None and known: no slot booked."""

    known: bool
    starts_at: datetime | None = None
    ends_at: datetime | None = None


class LogisticsClient:
    def __init__(self, api: InternalApi) -> None:
        self.api = api

    async def booking(self, distribution_id: uuid.UUID, user_id: uuid.UUID) -> SlotAnswer:
        """Tolerant: any failure means "slot unknown" and the mail still goes."""
        try:
            status, body = await self.api.get_json(
                f"/internal/distributions/{distribution_id}/bookings/{user_id}"
            )
        except Exception as exc:
            log.warning("slot_lookup_failed", error=repr(exc))
            return SlotAnswer(known=False)
        if status == 404:
            return SlotAnswer(known=True)
        if not isinstance(body, dict):
            return SlotAnswer(known=False)
        nested = body.get("slot")
        slot: dict[str, Any] = nested if isinstance(nested, dict) else body
        try:
            starts = datetime.fromisoformat(str(slot["starts_at"]))
            ends_raw = slot.get("ends_at")
            ends = datetime.fromisoformat(str(ends_raw)) if ends_raw else None
        except (KeyError, TypeError, ValueError):
            return SlotAnswer(known=False)
        return SlotAnswer(known=True, starts_at=starts, ends_at=ends)
