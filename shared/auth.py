"""EdDSA access tokens: accounts signs them, every service verifies them locally (JWKS)."""

import asyncio
import json
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol

import aiohttp
import jwt
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.metrics import ACCESS_TOKENS
from shared.problems import Problem, forbidden, unauthorized

ISSUER = "vrac-accounts"
ACCESS_TOKEN_SECONDS = 15 * 60
SERVICE_TOKEN_SECONDS = 5 * 60
Role = Literal["member", "coordinator"]


@dataclass(frozen=True)
class Principal:
    """Who is calling: a person (with memberships) or a service."""

    subject: str
    memberships: dict[str, Role] = field(default_factory=dict)
    admin: bool = False
    service: str | None = None
    first_name: str = ""
    language: str = "fr"
    issued_at: float = 0.0

    @property
    def user_id(self) -> uuid.UUID:
        return uuid.UUID(self.subject)

    def with_memberships(self, memberships: dict[str, Role]) -> "Principal":
        return replace(self, memberships=memberships)

    def role_in(self, group_id: uuid.UUID | str) -> Role | None:
        return self.memberships.get(str(group_id))

    def require_member(self, group_id: uuid.UUID | str) -> None:
        if self.service is None and self.role_in(group_id) is None and not self.admin:
            raise forbidden()

    def require_coordinator(self, group_id: uuid.UUID | str) -> None:
        if self.service is not None or self.admin:
            return
        if self.role_in(group_id) != "coordinator":
            raise Problem(
                403,
                "coordinator-only",
                "Réservé aux coordinateurs du groupe.",
                "Only the group's coordinators may do this.",
            )


class TokenIssuer:
    def __init__(self, private_key: Ed25519PrivateKey, key_id: str) -> None:
        self.private_key = private_key
        self.key_id = key_id

    @classmethod
    def generate(cls) -> "TokenIssuer":
        key = Ed25519PrivateKey.generate()
        return cls(key, uuid.uuid4().hex[:16])

    def private_pem(self) -> str:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()

    @classmethod
    def from_pem(cls, pem: str, key_id: str) -> "TokenIssuer":
        key = serialization.load_pem_private_key(pem.encode(), password=None)
        assert isinstance(key, Ed25519PrivateKey)
        return cls(key, key_id)

    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(self.private_key.public_key()))
        jwk.update({"kid": self.key_id, "use": "sig", "alg": "EdDSA"})
        return {"keys": [jwk]}

    def issue(
        self,
        user_id: uuid.UUID,
        memberships: dict[str, Role],
        admin: bool = False,
        first_name: str = "",
        language: str = "fr",
        lifetime: int = ACCESS_TOKEN_SECONDS,
    ) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "sub": str(user_id),
            "iat": now,
            "exp": now + lifetime,
            "groups": memberships,
            "admin": admin,
            "name": first_name,
            "lang": language,
        }
        return jwt.encode(claims, self.private_key, algorithm="EdDSA", headers={"kid": self.key_id})

    def issue_service(self, service: str, lifetime: int = SERVICE_TOKEN_SECONDS) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "sub": f"service:{service}",
            "svc": service,
            "iat": now,
            "exp": now + lifetime,
        }
        return jwt.encode(claims, self.private_key, algorithm="EdDSA", headers={"kid": self.key_id})


@dataclass(frozen=True)
class _Verified:
    """A token whose signature and claims were checked: who it names, until when, by which key."""

    principal: Principal
    expires_at: int  # the token's own `exp`: the cache never serves it at or after that second
    kid: str
    key: Ed25519PublicKey


class TokenVerifier:
    """Verifies tokens with accounts' public keys, fetched from its JWKS and cached.

    A member sends the same access token with every request for 15 minutes, and an EdDSA check
    costs more than the rest of a small request: a verified token is remembered (the last
    `cache_size` ones) until its own expiry, never beyond, and only while the key that verified
    it is still the verifier's key for its `kid`. What is remembered is the signature check only:
    the token's memberships as signed. Ended memberships are applied after this, on every
    request, by the app's PRINCIPAL_FILTER (shared.revocations), cached token or not.
    """

    def __init__(
        self,
        jwks_url: str | None = None,
        keys: dict[str, Ed25519PublicKey] | None = None,
        cache_size: int = 4096,
    ):
        self.jwks_url = jwks_url
        self.keys: dict[str, Ed25519PublicKey] = dict(keys or {})
        self.cache_size = cache_size
        self._verified: OrderedDict[str, _Verified] = OrderedDict()
        # Tokens accepted so far: signature checked, or served from the cache (this verifier's
        # counts; the process's are `access_tokens_accepted_total`, docs/operating.md).
        self.checked = 0
        self.served_from_cache = 0
        self._checked_metric = ACCESS_TOKENS.labels("checked")
        self._cached_metric = ACCESS_TOKENS.labels("cached")
        self._lock = asyncio.Lock()
        self._fetched_at = 0.0

    @classmethod
    def for_issuer(cls, issuer: TokenIssuer, cache_size: int = 4096) -> "TokenVerifier":
        return cls(keys={issuer.key_id: issuer.private_key.public_key()}, cache_size=cache_size)

    async def _refresh(self) -> None:
        if self.jwks_url is None:
            return
        async with self._lock:
            if time.monotonic() - self._fetched_at < 10:
                return
            timeout = aiohttp.ClientTimeout(total=5)
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.get(self.jwks_url) as resp,
            ):
                resp.raise_for_status()
                document = await resp.json()
            for jwk in document.get("keys", []):
                key = jwt.algorithms.OKPAlgorithm.from_jwk(json.dumps(jwk))
                # The same key stays the same object: tokens it verified stay remembered.
                if isinstance(key, Ed25519PublicKey) and self.keys.get(jwk["kid"]) != key:
                    self.keys[jwk["kid"]] = key
            self._fetched_at = time.monotonic()

    async def verify(self, token: str) -> Principal:
        known = self._verified.get(token)
        if known is not None:
            # pyjwt refuses a token once `now >= exp` (no leeway): the same bound here.
            if time.time() < known.expires_at and self.keys.get(known.kid) is known.key:
                self._verified.move_to_end(token)
                self.served_from_cache += 1
                self._cached_metric.inc()
                # A copy: a caller changing its memberships must not change the cached token's.
                return known.principal.with_memberships(dict(known.principal.memberships))
            del self._verified[token]
        verified = await self._check(token)
        self._verified[token] = verified
        if len(self._verified) > self.cache_size:
            self._verified.popitem(last=False)  # the least recently used
        self.checked += 1
        self._checked_metric.inc()
        return verified.principal.with_memberships(dict(verified.principal.memberships))

    async def _check(self, token: str) -> _Verified:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError:
            raise unauthorized() from None
        if not isinstance(kid, str):
            kid = ""  # no key has that id: refused below, after a look at the JWKS as before
        if kid not in self.keys:
            try:
                await self._refresh()
            except Exception:
                raise Problem(
                    503,
                    "auth-unavailable",
                    "Service d'authentification indisponible.",
                    "Authentication service unavailable.",
                    headers={"Retry-After": "5"},
                ) from None
        key = self.keys.get(kid)
        if key is None:
            raise unauthorized()
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=["EdDSA"],
                issuer=ISSUER,
                options={"require": ["exp", "sub", "iss"]},
            )
        except jwt.PyJWTError:
            raise unauthorized() from None
        principal = Principal(
            subject=claims["sub"],
            memberships=dict(claims.get("groups") or {}),
            admin=bool(claims.get("admin", False)),
            service=claims.get("svc"),
            first_name=claims.get("name", ""),
            language=claims.get("lang", "fr"),
            issued_at=float(claims.get("iat", 0)),
        )
        return _Verified(principal, int(claims["exp"]), kid, key)


VERIFIER_KEY = web.AppKey("token_verifier", TokenVerifier)


# Drops from a principal the groups it no longer belongs to (shared.revocations).
class PrincipalFilter(Protocol):
    def __call__(self, principal: Principal, /) -> Principal: ...


PRINCIPAL_FILTER = web.AppKey("principal_filter", PrincipalFilter)


async def principal(request: web.Request) -> Principal:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise unauthorized()
    found: Principal = await request.app[VERIFIER_KEY].verify(token.strip())
    restrict = request.app.get(PRINCIPAL_FILTER)
    return restrict(found) if restrict is not None else found


async def service_principal(request: web.Request) -> Principal:
    found = await principal(request)
    if found.service is None:
        raise Problem(
            403, "service-only", "Réservé aux services internes.", "Internal services only."
        )
    return found
