"""Helpers shared by the page handlers."""

import uuid
from typing import Any

from aiohttp import web

from ..apiclient import ApiError
from ..i18n import _
from ..sessions import is_local_path
from ..validation import field_message

routes = web.RouteTableDef()


async def form_values(request: web.Request) -> dict[str, str]:
    form = await request.post()
    return {k: v.strip() if isinstance(v, str) else "" for k, v in form.items()}


def api_field_errors(error: ApiError, lang: str, known: set[str]) -> dict[str, str]:
    """Errors of a 422 next to their field, in the catalog's words (a service's field messages
    are pydantic's English); anything else under "_form"."""
    found: dict[str, str] = {}
    for name in error.field_errors():
        if name in known:
            found.setdefault(name, field_message(name))
        else:
            found.setdefault("_form", _("Une des valeurs saisies n'est pas valide."))
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
