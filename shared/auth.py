"""EdDSA access tokens: accounts signs them, every service verifies them locally (JWKS)."""

import asyncio
import json
import time
import uuid
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol

import aiohttp
import jwt
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

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


class TokenVerifier:
    """Verifies tokens with accounts' public keys, fetched from its JWKS and cached."""

    def __init__(
        self, jwks_url: str | None = None, keys: dict[str, Ed25519PublicKey] | None = None
    ):
        self.jwks_url = jwks_url
        self.keys: dict[str, Ed25519PublicKey] = dict(keys or {})
        self._lock = asyncio.Lock()
        self._fetched_at = 0.0

    @classmethod
    def for_issuer(cls, issuer: TokenIssuer) -> "TokenVerifier":
        return cls(keys={issuer.key_id: issuer.private_key.public_key()})

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
                if isinstance(key, Ed25519PublicKey):
                    self.keys[jwk["kid"]] = key
            self._fetched_at = time.monotonic()

    async def verify(self, token: str) -> Principal:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError:
            raise unauthorized() from None
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
        key = self.keys.get(kid or "")
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
        return Principal(
            subject=claims["sub"],
            memberships=dict(claims.get("groups") or {}),
            admin=bool(claims.get("admin", False)),
            service=claims.get("svc"),
            first_name=claims.get("name", ""),
            language=claims.get("lang", "fr"),
            issued_at=float(claims.get("iat", 0)),
        )


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
