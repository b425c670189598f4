"""The member's access token and `/me`, kept between the pages of one session (issue 13).

Without it every page asked accounts for a fresh token and for `/me`: two round trips and most
of accounts' work while members browse. Kept per session (the cookie's accounts session id,
stored only as its digest), in this process, and never beyond the token's own `exp` minus
`MARGIN_SECONDS` (a page that starts with it may call three services: none gets an expired
token), nor beyond `WEB_MEMBER_CACHE_SECONDS` after it was fetched (several web replicas: what
one of them forgets, the others see within that time). Forgotten, so that the next page asks
accounts again:
- when the web itself changes the person or their memberships (log-in and log-out, sign-up,
  joining or leaving a group, the account or its language edited, erasure, a password reset, an
  admin naming a coordinator or editing a group): `forget_session`, `forget_user`,
  `forget_everyone`;
- when a service refuses the kept token (401/403): the page asks accounts afresh once.
What a `forget_*` races with: a token exchange that started before it is not kept (`changes`).
"""

import hashlib
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace

import jwt
from aiohttp import web

from shared.auth import Principal
from shared.clients.accounts import Me


@dataclass(frozen=True)
class KeptMember:
    token: str
    principal: Principal
    me: Me | None  # None until a page asked for it with this token
    valid_until: float  # epoch seconds


class MemberCache:
    MARGIN_SECONDS = 60.0

    def __init__(
        self,
        max_sessions: int = 20_000,
        clock: Callable[[], float] = time.time,
        keep_seconds: float = 900.0,
    ) -> None:
        self.max_sessions = max_sessions
        # At most this long after it was fetched, whatever the token's lifetime: what another web
        # replica forgot (a log-out, a password reset there) is seen here within it.
        self.keep_seconds = keep_seconds
        self.clock = clock  # epoch seconds, as a token's `exp`
        self._kept: OrderedDict[bytes, KeptMember] = OrderedDict()
        self._sessions_of: dict[uuid.UUID, set[bytes]] = {}
        # Bumped by every forget_*: what was fetched before it is not kept.
        self.changes = 0
        self.served = 0

    @staticmethod
    def _key(session_id: str) -> bytes:
        # The digest only: a memory dump of the web does not hand out live session ids.
        return hashlib.sha256(session_id.encode()).digest()

    def recall(self, session_id: str) -> KeptMember | None:
        key = self._key(session_id)
        kept = self._kept.get(key)
        if kept is None:
            return None
        if self.clock() >= kept.valid_until:
            self._drop(key)
            return None
        self._kept.move_to_end(key)
        self.served += 1
        return kept

    def remember(self, session_id: str, token: str, principal: Principal, seen: int) -> None:
        """Keep a token fetched when `changes` was `seen` (dropped if something was forgotten
        since: that fetch may predate the change)."""
        if seen != self.changes:
            return
        now = self.clock()
        valid_until = min(token_expiry(token) - self.MARGIN_SECONDS, now + self.keep_seconds)
        if now >= valid_until:
            return
        key = self._key(session_id)
        self._drop(key)
        self._kept[key] = KeptMember(token, principal, None, valid_until)
        self._sessions_of.setdefault(principal.user_id, set()).add(key)
        while len(self._kept) > self.max_sessions:
            self._drop(next(iter(self._kept)))  # the least recently used

    def remember_me(self, session_id: str, token: str, me: Me, seen: int) -> None:
        """Keep `/me` beside the token it was read with (not if either changed meanwhile)."""
        key = self._key(session_id)
        kept = self._kept.get(key)
        if seen == self.changes and kept is not None and kept.token == token:
            self._kept[key] = replace(kept, me=me)

    def forget_session(self, session_id: str) -> None:
        """The session ended (log-out, log-in anew): nothing fetched for it before is kept."""
        self.changes += 1
        self._drop(self._key(session_id))

    def drop_session(self, session_id: str) -> None:
        """Let the session's next page ask accounts (what it fetches then is kept)."""
        self._drop(self._key(session_id))

    def forget_user(self, user_id: uuid.UUID) -> None:
        """Every session of this person (a change seen from one browser shows in all)."""
        self.changes += 1
        for key in self._sessions_of.pop(user_id, set()):
            self._kept.pop(key, None)

    def forget_everyone(self) -> None:
        """For changes that touch many people's `/me` (a group's rules) or unknown ones."""
        self.changes += 1
        self._kept.clear()
        self._sessions_of.clear()

    def _drop(self, key: bytes) -> None:
        kept = self._kept.pop(key, None)
        if kept is None:
            return
        keys = self._sessions_of.get(kept.principal.user_id)
        if keys is not None:
            keys.discard(key)
            if not keys:
                del self._sessions_of[kept.principal.user_id]

    def __len__(self) -> int:
        return len(self._kept)


def token_expiry(token: str) -> float:
    """The `exp` of a token the verifier has just accepted (its signature is checked there)."""
    claims = jwt.decode(token, options={"verify_signature": False})
    return float(claims["exp"])


MEMBER_CACHE = web.AppKey("member_cache", MemberCache)
