"""The session's kept token and `/me` (services/web/member_cache): never past the token's own
expiry, dropped for every session of a person the web changed, never kept from a token exchange
that began before a change."""

import time
import uuid

from services.web.member_cache import MemberCache
from shared.auth import Principal, TokenIssuer
from shared.clients.accounts import Me

ISSUER = TokenIssuer.generate()


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def person(user_id: uuid.UUID, lifetime: int = 900) -> tuple[str, Principal]:
    token = ISSUER.issue(user_id, {str(uuid.uuid4()): "member"}, lifetime=lifetime)
    return token, Principal(subject=str(user_id))


def a_me(user_id: uuid.UUID) -> Me:
    return Me.model_validate(
        {
            "id": str(user_id),
            "first_name": "Paul",
            "last_name": "Roy",
            "email": "paul@example.org",
            "phone": None,
            "street": None,
            "postcode": None,
            "city": None,
            "language": "fr",
            "admin": False,
            "display_name": "Paul ROY",
            "memberships": [],
        }
    )


def test_kept_until_a_margin_before_the_token_expires():
    clock = Clock()
    cache = MemberCache(clock=clock)
    token, principal = person(uuid.uuid4(), lifetime=900)
    cache.remember("s1", token, principal, cache.changes)
    kept = cache.recall("s1")
    assert kept is not None and kept.token == token and kept.me is None
    clock.now += 900 - MemberCache.MARGIN_SECONDS - 2
    assert cache.recall("s1") is not None
    clock.now += 2
    assert cache.recall("s1") is None  # the next page asks accounts for a new token


def test_kept_no_longer_than_the_web_allows_whatever_the_token():
    # Several web replicas: a log-out on one is seen by the others within keep_seconds.
    clock = Clock()
    cache = MemberCache(clock=clock, keep_seconds=60)
    token, principal = person(uuid.uuid4(), lifetime=900)
    cache.remember("s1", token, principal, cache.changes)
    clock.now += 59
    assert cache.recall("s1") is not None
    clock.now += 1
    assert cache.recall("s1") is None
    never = MemberCache(clock=clock, keep_seconds=0)
    never.remember("s1", token, principal, never.changes)
    assert never.recall("s1") is None


def test_a_token_about_to_expire_is_not_kept():
    cache = MemberCache()
    token, principal = person(uuid.uuid4(), lifetime=int(MemberCache.MARGIN_SECONDS) - 1)
    cache.remember("s1", token, principal, cache.changes)
    assert cache.recall("s1") is None


def test_me_is_kept_beside_its_own_token_only():
    cache = MemberCache()
    user = uuid.uuid4()
    token, principal = person(user)
    cache.remember("s1", token, principal, cache.changes)
    cache.remember_me("s1", "another token", a_me(user), cache.changes)
    kept = cache.recall("s1")
    assert kept is not None and kept.me is None
    cache.remember_me("s1", token, a_me(user), cache.changes)
    kept = cache.recall("s1")
    assert kept is not None and kept.me is not None and kept.me.id == user


def test_forgetting_a_person_drops_all_their_sessions_and_no_one_else():
    cache = MemberCache()
    paul, awa = uuid.uuid4(), uuid.uuid4()
    for session, user in (("paul-phone", paul), ("paul-laptop", paul), ("awa", awa)):
        token, principal = person(user)
        cache.remember(session, token, principal, cache.changes)
    cache.forget_user(paul)
    assert cache.recall("paul-phone") is None and cache.recall("paul-laptop") is None
    assert cache.recall("awa") is not None
    cache.forget_everyone()
    assert cache.recall("awa") is None and len(cache) == 0


def test_an_exchange_begun_before_a_change_is_not_kept():
    """A page fetched the token, then the member left the group in another tab: that token and
    its `/me` predate the change and must not be kept."""
    cache = MemberCache()
    user = uuid.uuid4()
    token, principal = person(user)
    seen = cache.changes
    cache.forget_user(user)
    cache.remember("s1", token, principal, seen)
    assert cache.recall("s1") is None
    cache.remember("s1", token, principal, cache.changes)
    seen = cache.changes
    cache.forget_session("s2")
    cache.remember_me("s1", token, a_me(user), seen)
    kept = cache.recall("s1")
    assert kept is not None and kept.me is None


def test_bounded_and_keyed_by_digest():
    cache = MemberCache(max_sessions=2)
    for index in range(3):
        token, principal = person(uuid.uuid4())
        cache.remember(f"session-{index}", token, principal, cache.changes)
    assert len(cache) == 2 and cache.recall("session-0") is None
    assert all(isinstance(key, bytes) and len(key) == 32 for key in cache._kept)
