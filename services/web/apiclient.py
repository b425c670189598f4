"""Calls to the other services' HTTP APIs, with the user's session or access token."""

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from shared.logging import get_logger

from .settings import WebSettings

log = get_logger(__name__)


class ApiError(Exception):
    """A 4xx answer of another service (problem+json)."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        detail_en: str,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {detail_en}")
        self.status = status
        self.code = code
        self.detail = detail
        self.detail_en = detail_en
        self.errors = errors or []
        self.headers = headers or {}

    def message(self, lang: str) -> str:
        return self.detail if lang == "fr" or not self.detail_en else self.detail_en

    def field_errors(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for error in self.errors:
            name = str(error.get("field") or "")
            if name and name not in found:
                found[name] = str(error.get("message") or "")
        return found


class ServiceDown(Exception):
    """Another service did not answer, or answered 5xx."""

    def __init__(self, service: str, reason: str) -> None:
        super().__init__(f"{service}: {reason}")
        self.service = service


@dataclass
class Raw:
    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)


class ServiceTokens:
    """The web's own service token (`POST /v1/service-tokens` with WEB_SERVICE_SECRET): it
    vouches to accounts for the member's address the web forwards. One token shared until near
    its expiry; when accounts refuses or is down, None for a while (the call goes without it)."""

    MARGIN_SECONDS = 30.0
    RETRY_SECONDS = 30.0

    def __init__(self, session: aiohttp.ClientSession, accounts_url: str, secret: str) -> None:
        self.session = session
        self.url = accounts_url.rstrip("/") + "/v1/service-tokens"
        self.secret = secret
        self._token: str | None = None
        self._valid_until = 0.0
        self._lock = asyncio.Lock()

    async def get(self) -> str | None:
        async with self._lock:
            if time.monotonic() >= self._valid_until:
                self._token, lifetime = await self._fetch()
                self._valid_until = time.monotonic() + lifetime
            return self._token

    def invalidate(self) -> None:
        """A service refused the token (expired early, key rotated): fetch a new one next time."""
        self._valid_until = 0.0

    async def _fetch(self) -> tuple[str | None, float]:
        try:
            async with self.session.post(
                self.url, json={"service": "web", "secret": self.secret}
            ) as resp:
                if resp.status not in (200, 201):
                    log.warning("service_token_refused", status=resp.status)
                    return None, self.RETRY_SECONDS
                body = await resp.json()
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            log.warning("service_token_unavailable", error=type(exc).__name__)
            return None, self.RETRY_SECONDS
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            return None, self.RETRY_SECONDS
        lifetime = float(body.get("expires_in") or 300)
        return token, max(lifetime - self.MARGIN_SECONDS, lifetime / 2)


class Api:
    def __init__(self, session: aiohttp.ClientSession, settings: WebSettings) -> None:
        self.session = session
        self.service_tokens = ServiceTokens(session, settings.accounts_url, settings.service_secret)
        self.urls = {
            "accounts": settings.accounts_url.rstrip("/"),
            "ordering": settings.ordering_url.rstrip("/"),
            "logistics": settings.logistics_url.rstrip("/"),
            "notifications": settings.notifications_url.rstrip("/"),
        }

    def _headers(
        self, token: str | None, session_id: str | None, extra: dict[str, str] | None
    ) -> dict[str, str]:
        # Uncompressed: the services sit next to the web, where gzip would cost CPU on both sides
        # (the service compressing, the web decompressing) and save no time.
        headers = {"Accept": "application/json", "Accept-Encoding": "identity"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        elif session_id:
            headers["Authorization"] = f"Session {session_id}"
        if extra:
            headers.update(extra)
        return headers

    async def call(
        self,
        service: str,
        method: str,
        path: str,
        *,
        token: str | None = None,
        session_id: str | None = None,
        json: Any = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        raw = await self._request(service, method, path, token, session_id, json, params, headers)
        if not raw.body:
            return None
        import json as jsonlib

        try:
            return jsonlib.loads(raw.body)
        except ValueError:
            raise ServiceDown(service, "invalid JSON") from None

    def unusable(self, service: str, reason: str) -> ServiceDown:
        """An answer of another shape than the typed client's model: that service is down."""
        log.warning("api_unexpected_answer", service=service, reason=reason)
        return ServiceDown(service, reason)

    async def call_as_service(
        self, service: str, path: str, *, params: dict[str, str] | None = None
    ) -> Any:
        """GET an internal route with the web's own service token (`/internal/...`); a refused
        token is renewed once. No token (accounts refuses or is down): that service is down."""
        for attempt in (1, 2):
            token = await self.service_tokens.get()
            if token is None:
                raise ServiceDown("accounts", "no service token")
            try:
                return await self.call(service, "GET", path, token=token, params=params)
            except ApiError as error:
                if error.status != 401 or attempt == 2:
                    raise
                self.service_tokens.invalidate()
        raise AssertionError("unreachable")

    async def raw(
        self, service: str, path: str, *, token: str, params: dict[str, str] | None = None
    ) -> Raw:
        return await self._request(service, "GET", path, token, None, None, params, None)

    async def _request(
        self,
        service: str,
        method: str,
        path: str,
        token: str | None,
        session_id: str | None,
        json: Any,
        params: dict[str, str] | None,
        headers: dict[str, str] | None,
    ) -> Raw:
        url = self.urls[service] + path
        try:
            async with self.session.request(
                method,
                url,
                json=json,
                params=params,
                headers=self._headers(token, session_id, headers),
            ) as resp:
                body = await resp.read()
                if resp.status >= 500:
                    log.warning("api_server_error", service=service, path=path, status=resp.status)
                    raise ServiceDown(service, f"HTTP {resp.status}")
                if resp.status >= 400:
                    raise _problem(resp.status, body, dict(resp.headers))
                return Raw(body, resp.content_type, dict(resp.headers))
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("api_unreachable", service=service, path=path, error=type(exc).__name__)
            raise ServiceDown(service, type(exc).__name__) from exc


API_KEY = web.AppKey("api", Api)


def _problem(status: int, body: bytes, headers: dict[str, str]) -> ApiError:
    import json

    try:
        data = json.loads(body) if body else {}
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    errors = data.get("errors")
    return ApiError(
        status,
        str(data.get("code") or "http-error"),
        str(data.get("detail") or "Erreur."),
        str(data.get("detail_en") or data.get("detail") or "Error."),
        errors if isinstance(errors, list) else None,
        {k: v for k, v in headers.items() if k.lower() == "retry-after"},
    )
