"""The user of a request: the cookie holds only the accounts session id, exchanged for a
short-lived access token (`POST /v1/sessions/current/token`). Pages read with the token kept for
the session (member_cache); a form posted, a coordinator's or an admin's page, and a page whose
kept token a service refused ask accounts afresh."""

import re
import unicodedata
import uuid
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from aiohttp import web

from shared.auth import VERIFIER_KEY, Principal

from .apiclient import API_KEY, ApiError
from .member_cache import MEMBER_CACHE
from .settings import WebSettings

SETTINGS_KEY = web.AppKey("web_settings", WebSettings)
# Methods that change nothing: only they are served with a kept token.
READ_METHODS = frozenset({"GET", "HEAD"})


@dataclass
class User:
    session_id: str
    token: str
    principal: Principal
    kept: bool = False  # the token (and `/me`) of an earlier page of this session
    seen_changes: int = 0  # the member cache's `changes` when this token was fetched

    @property
    def user_id(self) -> uuid.UUID:
        return self.principal.user_id

    @property
    def language(self) -> str:
        return self.principal.language

    def role_in(self, group_id: str | uuid.UUID) -> str | None:
        return self.principal.role_in(group_id)

    def is_coordinator(self, group_id: str | uuid.UUID) -> bool:
        return self.principal.admin or self.role_in(group_id) == "coordinator"


USER: "web.RequestKey[User | None]" = web.RequestKey("web_user")
CLEAR_SESSION = web.RequestKey("web_clear_session", bool)
ASK_AFRESH = web.RequestKey("web_ask_afresh", bool)


async def load_user(request: web.Request) -> User | None:
    """The session's user (the token kept for it, or one exchanged now); None when logged out
    or the session ended (the cookie is then cleared)."""
    if USER in request:
        found: User | None = request[USER]
        return found
    settings = request.app[SETTINGS_KEY]
    session_id = request.cookies.get(settings.session_cookie)
    user: User | None = None
    if session_id:
        cache = request.app[MEMBER_CACHE]
        kept = None
        if request.method in READ_METHODS and not request.get(ASK_AFRESH):
            kept = cache.recall(session_id)
        if kept is not None:
            user = User(
                session_id, kept.token, kept.principal, kept=True, seen_changes=cache.changes
            )
        else:
            user = await _exchange(request, session_id)
    request[USER] = user
    return user


async def _exchange(request: web.Request, session_id: str) -> User | None:
    try:
        return await exchange_token(request, session_id)
    except ApiError as error:
        if error.status not in (400, 401, 403, 404):
            raise
        request[CLEAR_SESSION] = True
        request.app[MEMBER_CACHE].forget_session(session_id)
        return None


async def exchange_token(request: web.Request, session_id: str) -> User:
    """A token for the session from accounts, verified and kept (ApiError: the session ended)."""
    cache = request.app[MEMBER_CACHE]
    seen = cache.changes
    answer = await request.app[API_KEY].call(
        "accounts", "POST", "/v1/sessions/current/token", session_id=session_id
    )
    token = str(answer["access_token"])
    principal = await request.app[VERIFIER_KEY].verify(token)
    cache.remember(session_id, token, principal, seen)
    return User(session_id, token, principal, seen_changes=seen)


async def ask_afresh(request: web.Request) -> bool:
    """Drop what this request got from the session's kept token (a service refused it, or the
    page decides on roles): the next `load_user` asks accounts. False when nothing was kept."""
    user = request.get(USER)
    request[ASK_AFRESH] = True
    if user is None or not user.kept:
        return False
    request.app[MEMBER_CACHE].drop_session(user.session_id)
    del request[USER]
    return True


def forget_user(request: web.Request, user_id: uuid.UUID) -> None:
    """The web changed this person or their memberships: every page asks accounts again."""
    request.app[MEMBER_CACHE].forget_user(user_id)


def forget_session(request: web.Request, session_id: str) -> None:
    """The session ended on the server: its token is not kept any longer."""
    request.app[MEMBER_CACHE].forget_session(session_id)


def forget_everyone(request: web.Request) -> None:
    """A change to many people's `/me` (a group's rules and names), or to somebody unknown."""
    request.app[MEMBER_CACHE].forget_everyone()


async def require_user(request: web.Request) -> User:
    user = await load_user(request)
    if user is None:
        raise web.HTTPSeeOther(login_url(request.path_qs))
    return user


def login_url(next_path: str | None = None, group: str | None = None) -> str:
    from urllib.parse import urlencode

    params: dict[str, str] = {}
    if next_path and is_local_path(next_path):
        params["next"] = next_path
    if group:
        params["groupe"] = group
    return "/connexion" + (f"?{urlencode(params)}" if params else "")


# A path of this site as a browser sends it: one "/" then anything but "/" or "\\", printable
# ASCII only (no whitespace, no control character, nothing browsers would strip or fold).
_LOCAL_PATH = re.compile(r"/(?![/\\])[\x21-\x7e]*")
_MAX_NEXT = 2000


def is_local_path(path: str) -> bool:
    """Only redirect to our own pages (no open redirect through ?next=).

    Browsers drop tabs and newlines and read "\\" as "/", so "/<TAB>/evil.example" is
    "//evil.example" to them: the raw value must be a plain path, and so must its percent-decoded
    forms (a proxy or a second decoding must not turn it into another host either)."""
    if len(path) > _MAX_NEXT or not _LOCAL_PATH.fullmatch(path):
        return False
    decoded = path
    for _round in range(3):  # "%252F" decodes twice; three rounds cover any real link
        decoded = unquote(decoded)
        if not _plain_decoded(decoded):
            return False
    return True


def _plain_decoded(text: str) -> bool:
    if "\\" in text:
        return False
    if any(unicodedata.category(ch)[0] in "CZ" and ch != " " for ch in text):
        return False
    path_part = text.split("?", 1)[0].split("#", 1)[0]
    if not path_part.startswith("/") or path_part.startswith("//"):
        return False
    parts = urlsplit(text)
    return not parts.scheme and not parts.netloc


def set_csrf_cookie(response: web.StreamResponse, settings: WebSettings, value: str) -> None:
    """The CSRF cookie (double submit: the forms carry its signed value)."""
    response.set_cookie(
        settings.csrf_cookie,
        value,
        path="/",
        secure=settings.cookies_secure,
        httponly=True,
        samesite="Lax",
    )


def set_session_cookie(
    response: web.StreamResponse,
    settings: WebSettings,
    session_id: str,
    max_age: int = 30 * 24 * 3600,
) -> None:
    response.set_cookie(
        settings.session_cookie,
        session_id,
        path="/",
        max_age=max_age,
        secure=settings.cookies_secure,
        httponly=True,
        samesite="Lax",
    )


def clear_session_cookie(response: web.StreamResponse, settings: WebSettings) -> None:
    response.del_cookie(
        settings.session_cookie,
        path="/",
        secure=settings.cookies_secure,
        httponly=True,
        samesite="Lax",
    )
