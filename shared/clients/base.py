"""The transport of the internal clients: a service token from accounts, cached until shortly
before expiry, sent as a bearer token; one retry with a fresh token on 401."""

import asyncio
import time
from typing import TypeVar

import aiohttp
from pydantic import BaseModel, ValidationError

TOKEN_MARGIN_SECONDS = 30.0
M = TypeVar("M", bound=BaseModel)


class Unavailable(Exception):
    """The other service did not answer usefully: try again later."""


class Gone(Exception):
    """The thing asked for does not exist any more (erased person, used reset token)."""


class ServiceToken(BaseModel):
    """The answer of accounts' `POST /v1/service-tokens` (its `AccessToken`)."""

    access_token: str
    expires_in: int = 300


class ServiceTokens:
    """`POST /v1/service-tokens` on accounts; one token shared by every call until near expiry."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        accounts_url: str,
        secret: str,
        service: str = "notifications",
    ) -> None:
        self.session = session
        self.accounts_url = accounts_url.rstrip("/")
        self.secret = secret
        self.service = service
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
                json={"service": self.service, "secret": self.secret},
            ) as resp:
                if resp.status != 200 and resp.status != 201:
                    raise Unavailable(f"service token refused: HTTP {resp.status}")
                body = await resp.json()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise Unavailable(f"accounts unreachable: {exc!r}") from exc
        token = parse(ServiceToken, body, "service token")
        self._token = token.access_token
        lifetime = float(token.expires_in)
        self._valid_until = time.monotonic() + max(lifetime - TOKEN_MARGIN_SECONDS, lifetime / 2)


class InternalApi:
    """GET with the service token; retried once with a fresh token on 401."""

    def __init__(
        self, session: aiohttp.ClientSession, base_url: str, tokens: ServiceTokens
    ) -> None:
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.tokens = tokens

    async def get_json(self, path: str) -> tuple[int, object]:
        """(status, body); the body is None for a 4xx other than 401/403/429, which raise
        Unavailable like a 5xx or a network error."""
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
                    body: object = await resp.json()
                    return resp.status, body
            except (aiohttp.ClientError, TimeoutError) as exc:
                raise Unavailable(f"{self.base_url} unreachable: {exc!r}") from exc
        raise Unavailable("unauthorised twice")


def parse(model: type[M], body: object, what: str) -> M:
    """The answer as its response model; an answer of another shape is "not useful" (retry)."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise Unavailable(f"{what}: unexpected answer ({exc.error_count()} errors)") from exc
