"""Helpers shared by the page handlers."""

import uuid
from typing import Any

from aiohttp import web

from ..apiclient import ApiError
from ..sessions import is_local_path

routes = web.RouteTableDef()


async def form_values(request: web.Request) -> dict[str, str]:
    form = await request.post()
    return {k: v.strip() if isinstance(v, str) else "" for k, v in form.items()}


def api_field_errors(error: ApiError, lang: str, known: set[str]) -> dict[str, str]:
    """Errors of a 422 next to their field; anything else under "_form"."""
    found: dict[str, str] = {}
    for name, message in error.field_errors().items():
        key = name if name in known else "_form"
        found.setdefault(key, message)
    if not found:
        found["_form"] = error.message(lang)
    return found


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


def as_list(value: Any, key: str) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        found = value.get(key) or []
        return [item for item in found if isinstance(item, dict)]
    return []
