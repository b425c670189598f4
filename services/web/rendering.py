"""Jinja environment (i18n, filters) and the render helper that adds the common context."""

from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web

from . import formatting, i18n
from .csrf import FIELD as CSRF_FIELD
from .csrf import CsrfSigner
from .sessions import USER

TEMPLATES = Path(__file__).parent / "templates"
CSRF_VALUE = web.RequestKey("web_csrf_value", str)
CSRF_SIGNER = web.RequestKey("web_csrf_signer", CsrfSigner)
CSRF_COOKIE_SET = web.RequestKey("web_csrf_cookie_set", bool)
# The signed token, and the cookie value it was signed for (log-in gives a new value).
CSRF_TOKEN = web.RequestKey("web_csrf_token", str)
CSRF_TOKEN_FOR = web.RequestKey("web_csrf_token_for", str)
GROUP_CONTEXT = web.RequestKey("web_group_context", object)


def setup_jinja(app: web.Application, dev_mode: bool = False) -> jinja2.Environment:
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(TEMPLATES),
        # Templates are compiled once per process: checking every file's mtime on each render
        # (Jinja's default) is for editing them while the site runs, i.e. dev mode. No bytecode
        # cache: it saves the compilation at start only, not a microsecond of a page.
        auto_reload=dev_mode,
        autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext, i18n.ngettext, newstyle=True
    )

    def lang() -> str:
        return i18n.current_language()

    env.filters["money"] = lambda cents: formatting.money(int(cents), lang())
    env.filters["plain_total"] = lambda cents: formatting.plain_total(int(cents))
    env.filters["long_date"] = lambda value: formatting.long_date(value, lang())
    env.filters["date_at_time"] = lambda value: formatting.date_at_time(value, lang())
    env.filters["time"] = formatting.time_of_day
    env.filters["qty"] = formatting.quantity
    env.filters["phone"] = formatting.phone
    env.filters["qty_unit"] = lambda line: formatting.quantity_with_unit(
        line["quantity"], bool(line.get("bulk")), str(line.get("unit_label") or "")
    )
    env.filters["product_label"] = lambda item: formatting.product_label(
        str(item.get("product_name") or item.get("name") or ""), bool(item.get("bulk"))
    )
    env.globals["LANGUAGE_NAMES"] = i18n.LANGUAGE_NAMES
    return env


def warm_up_pages(app: web.Application) -> int:
    """Compile every template and load the date formats before the process serves: done on the
    first request instead, the first visitors after a start or a rolling restart waited for it
    (~0.3 s of compiling in all, a few tens of ms per page, with the event loop held). Returns
    how many templates were compiled. Not in `build_app`: tests build many apps and render few
    pages each."""
    env = aiohttp_jinja2.get_env(app)
    names = env.list_templates(filter_func=lambda name: name.endswith(".html"))
    for name in names:
        env.get_template(name)
    formatting.warm_up(i18n.LANGUAGES)
    return len(names)


def csrf_token(request: web.Request) -> str:
    """The signed CSRF token of this request's forms (signed once per request)."""
    token = request.get(CSRF_TOKEN)
    if token is None or request.get(CSRF_TOKEN_FOR) != request[CSRF_VALUE]:
        token = request[CSRF_SIGNER].token_for(request[CSRF_VALUE])
        request[CSRF_TOKEN], request[CSRF_TOKEN_FOR] = token, request[CSRF_VALUE]
    return token


def render(
    request: web.Request,
    template: str,
    context: dict[str, Any] | None = None,
    status: int = 200,
) -> web.Response:
    base: dict[str, Any] = {
        "request": request,
        "lang": i18n.current_language(),
        "user": request.get(USER),
        "csrf_field": CSRF_FIELD,
        "csrf_token": csrf_token(request),
        "g": request.get(GROUP_CONTEXT),
        "errors": {},
        "values": {},
        "tab": "",
    }
    base.update(context or {})
    response = aiohttp_jinja2.render_template(template, request, base, status=status)
    response.headers["Content-Language"] = base["lang"]
    return response
