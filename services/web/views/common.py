"""Helpers shared by the page handlers."""

import uuid
from collections.abc import Iterable
from typing import Any, overload

from aiohttp import web
from pydantic import BaseModel

from ..apiclient import API_KEY
from ..clientaddr import request_client_address
from ..csvsafe import sanitise_csv
from ..groups import GroupContext, member_page
from ..sessions import SETTINGS_KEY, User, is_local_path


async def form_values(request: web.Request) -> dict[str, str]:
    form = await request.post()
    return {k: v.strip() if isinstance(v, str) else "" for k, v in form.items()}


async def forwarded_for(request: web.Request) -> dict[str, str]:
    """The member's address for accounts' per-address throttling (log-in, sign-up, reset).

    X-Client-Address is believed by accounts only with the web's service token beside it;
    X-Forwarded-For carries the same address for an accounts that lists the web among its
    trusted proxies instead."""
    address = request_client_address(request, request.app[SETTINGS_KEY].trusted_networks)
    headers = {"X-Forwarded-For": address, "X-Client-Address": address}
    token = await request.app[API_KEY].service_tokens.get()
    if token is not None:
        headers["X-Service-Token"] = token
    return headers


def csv_download(body: bytes, filename: str) -> web.Response:
    """One of ordering's CSV exports handed to the browser as a file, made safe to open."""
    return web.Response(
        body=sanitise_csv(body),
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{filename}"',
        },
    )


def redirect(location: str) -> web.Response:
    """A 303 See Other (after a POST, the browser GETs the next page)."""
    return web.Response(status=303, headers={"Location": location})


def safe_next(value: str | None, default: str) -> str:
    return value if value and is_local_path(value) else default


def idempotency_key() -> str:
    return str(uuid.uuid4())


def valid_idempotency_key(value: str | None) -> str:
    """A key from a form, or a fresh one when it is missing or malformed."""
    try:
        return str(uuid.UUID(value or ""))
    except ValueError:
        return idempotency_key()


def uuid_or_none(text: str | None) -> str | None:
    """A form's id in its canonical text; None when it is missing or malformed."""
    try:
        return str(uuid.UUID(text or ""))
    except ValueError:
        return None


def path_uuid(request: web.Request, name: str) -> str:
    """An id from the path, checked (it goes into the APIs' paths); a 404 when malformed."""
    try:
        return str(uuid.UUID(request.match_info[name]))
    except ValueError:
        raise web.HTTPNotFound() from None


def distribution_param(request: web.Request) -> str:
    """The distribution id from the path (a 404 when malformed)."""
    return path_uuid(request, "distribution_id")


async def distribution_visit(
    request: web.Request, *, coordinator: bool = False
) -> tuple[User, GroupContext, str]:
    """Who opens a page of one of the group's distributions (a member, or with `coordinator` one
    of its coordinators), their group, and the distribution's id from the path. The person is
    checked first: someone logged out goes to the log-in even when the id is malformed."""
    user, g = await member_page(request, coordinator=coordinator)
    return user, g, distribution_param(request)


def distribution_api(g: GroupContext, distribution_id: str) -> str:
    """The APIs' path of one distribution of the group (ordering's and logistics')."""
    return f"/v1/groups/{g.id}/distributions/{distribution_id}"


class PageData(dict[str, Any]):
    """A service's answer as a template reads it: a dict whose keys are attributes too.

    Jinja's `slot.full` tries `getattr` before the key; on a plain dict that fails with an
    AttributeError raised and caught in Python on every lookup — half the time of the pickup
    page's slot list (docs/performance.md, « Member pages »). A missing key is still an
    AttributeError, so Jinja then tries the key and StrictUndefined refuses it as before."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def _page_dict(values: dict[str, Any]) -> PageData:
    return PageData({key: _readable(item) for key, item in values.items()})


def _readable(value: object) -> object:
    if isinstance(value, dict):
        return _page_dict(value)
    if isinstance(value, list):
        return [_readable(item) for item in value]
    return value


@overload
def page_data(answer: BaseModel) -> dict[str, Any]: ...
@overload
def page_data(answer: None) -> None: ...
def page_data(answer: BaseModel | None) -> dict[str, Any] | None:
    """A typed answer as the templates read it: the service's JSON (ids and dates as text)."""
    return None if answer is None else _page_dict(answer.model_dump(mode="json"))


def page_list(answers: Iterable[BaseModel]) -> list[dict[str, Any]]:
    return [page_data(answer) for answer in answers]
