"""The web app: middlewares (errors, security headers, language, CSRF), routes, resources."""

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
from aiohttp import web
from aiohttp.web_request import FileField
from multidict import MultiDictProxy

from shared.auth import VERIFIER_KEY, TokenVerifier
from shared.compression import compress_answers
from shared.http import install_operations, observe_requests
from shared.logging import get_logger

from . import i18n
from .apiclient import API_KEY, Api, ApiError, ServiceDown
from .catalog import CATALOG_CACHE, CatalogCache
from .csrf import FIELD as CSRF_FIELD
from .csrf import CsrfSigner
from .member_cache import MEMBER_CACHE, MemberCache
from .rendering import (
    CSRF_COOKIE_SET,
    CSRF_SIGNER,
    CSRF_VALUE,
    GROUP_CONTEXT,
    render,
    setup_jinja,
)
from .sessions import (
    CLEAR_SESSION,
    SETTINGS_KEY,
    ask_afresh,
    clear_session_cookie,
    load_user,
    login_url,
    set_csrf_cookie,
)
from .settings import WebSettings
from .views import admin, association, dev, login, password, personal_data, public
from .views.coord import catalog, corrections, distributions, logistics, sheets
from .views.member import account, cart, delivery, orders, pickup

log = get_logger(__name__)
# Every page's route table (one per module of views/). No two routes of different tables match
# the same path and method, so the order is only the reading order.
ROUTE_TABLES: tuple[web.RouteTableDef, ...] = (
    public.routes,
    login.routes,
    password.routes,
    orders.routes,
    cart.routes,
    pickup.routes,
    delivery.routes,
    account.routes,
    personal_data.routes,
    catalog.routes,
    distributions.routes,
    sheets.routes,
    logistics.routes,
    corrections.routes,
    admin.routes,
    association.routes,
    dev.routes,
)
STATIC = Path(__file__).parent / "static"
SIGNER_KEY = web.AppKey("csrf_signer", CsrfSigner)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


def _is_static(request: web.Request) -> bool:
    return request.path.startswith("/static/") or request.path in {
        "/healthz",
        "/readyz",
        "/metrics",
    }


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        response = exc
        _add_security_headers(request, response)
        raise
    _add_security_headers(request, response)
    return response


def _add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    settings = request.app[SETTINGS_KEY]
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    if settings.cookies_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if request.path.startswith("/static/"):
        headers.setdefault("Cache-Control", "public, max-age=3600")
    else:
        # Every page is personal or carries a CSRF token: never kept by a cache or the browser.
        headers.setdefault("Cache-Control", "no-store")


@web.middleware
async def page_context(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Language, user, CSRF: set up before the handler, errors turned into pages after."""
    if _is_static(request):
        return await handler(request)
    settings = request.app[SETTINGS_KEY]
    signer = request.app[SIGNER_KEY]
    i18n.set_language(i18n.negotiate(request.headers.get("Accept-Language")))
    cookie_value = request.cookies.get(settings.csrf_cookie)
    new_csrf = not cookie_value or len(cookie_value) > 100
    request[CSRF_VALUE] = (
        cookie_value if cookie_value and not new_csrf else CsrfSigner.new_cookie_value()
    )
    request[CSRF_SIGNER] = signer
    response: web.StreamResponse
    try:
        user = await load_user(request)
        if user is not None:
            i18n.set_language(user.language)
        form = await _readable_form(request) if request.method not in SAFE_METHODS else None
        if request.method not in SAFE_METHODS and form is None:
            response = _unreadable_form_page(request)
        elif form is not None:
            token = form.get(CSRF_FIELD)
            if not signer.is_valid(token if isinstance(token, str) else None, cookie_value):
                log.info("csrf_rejected", path=request.path)
                response = render(
                    request,
                    "error.html",
                    {
                        "title": i18n._("Le formulaire a expiré"),
                        "message": i18n._(
                            "Pour votre sécurité, ce formulaire n'est plus valable. "
                            "Revenez à la page précédente, rechargez-la et recommencez."
                        ),
                    },
                    status=403,
                )
            else:
                response = await _page(request, handler)
        else:
            response = await _page(request, handler)
    except web.HTTPException as exc:
        if exc.status >= 400 and exc.status != 405:
            response = _error_page(request, exc.status)
        else:
            response = web.Response(status=exc.status, headers=exc.headers)
    except ApiError as error:
        if error.status == 401:
            target = login_url(request.path_qs if request.method == "GET" else None)
            response = web.Response(status=303, headers={"Location": target})
            request[CLEAR_SESSION] = True
        else:
            response = render(
                request,
                "error.html",
                {
                    "title": i18n._("Impossible de continuer"),
                    "message": error.message(i18n.current_language()),
                },
                status=error.status if error.status in (403, 404, 409, 410) else 400,
            )
    except ServiceDown as down:
        log.warning("service_down", service=down.service, path=request.path)
        response = render(
            request,
            "error.html",
            {
                "title": i18n._("Service momentanément indisponible"),
                "message": i18n._(
                    "Le site ne répond pas pour l'instant. Réessayez dans quelques "
                    "minutes ; rien n'a été perdu."
                ),
            },
            status=503,
        )
        response.headers["Retry-After"] = "30"
    _finish(request, response, new_csrf)
    return response


async def _page(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The page; when a service refused the session's kept token (a membership ended, a key
    rotated), the page once more with a token and `/me` asked afresh. Only pages that change
    nothing are served with a kept token, so running one again is harmless."""
    try:
        return await handler(request)
    except ApiError as error:
        if error.status not in (401, 403) or not await ask_afresh(request):
            raise
    request.pop(GROUP_CONTEXT, None)
    return await handler(request)


async def _readable_form(
    request: web.Request,
) -> MultiDictProxy[str | bytes | bytearray | FileField] | None:
    """The posted form, or None when no page could use it: bytes that are not UTF-8 or an
    unknown charset (aiohttp raises while decoding them), a malformed multipart body, or a NUL
    character, which no field of ours accepts (PostgreSQL text cannot hold it)."""
    try:
        form = await request.post()
    except (ValueError, LookupError) as exc:  # UnicodeDecodeError is a ValueError
        log.info("form_unreadable", path=request.path, error=type(exc).__name__)
        return None
    for value in form.values():
        if isinstance(value, str) and "\x00" in value:
            log.info("form_nul_character", path=request.path)
            return None
    return form


def _unreadable_form_page(request: web.Request) -> web.Response:
    return render(
        request,
        "error.html",
        {
            "title": i18n._("Formulaire illisible"),
            "message": i18n._(
                "Le formulaire contient des caractères non valides. Revenez à la page "
                "précédente, corrigez votre saisie et recommencez."
            ),
        },
        status=400,
    )


def _finish(request: web.Request, response: web.StreamResponse, new_csrf: bool) -> None:
    settings = request.app[SETTINGS_KEY]
    if new_csrf and not request.get(CSRF_COOKIE_SET):
        set_csrf_cookie(response, settings, request[CSRF_VALUE])
    if request.get(CLEAR_SESSION):
        clear_session_cookie(response, settings)


def _error_page(request: web.Request, status: int) -> web.Response:
    titles = {
        403: i18n._("Accès refusé"),
        404: i18n._("Page introuvable"),
        413: i18n._("Formulaire trop grand"),
    }
    messages = {
        403: i18n._("Cette page est réservée aux coordinateurs du groupe."),
        404: i18n._("Cette page n'existe pas ou plus. Vérifiez le lien."),
    }
    return render(
        request,
        "error.html",
        {
            "title": titles.get(status, i18n._("Erreur")),
            "message": messages.get(status, i18n._("La demande n'a pas pu aboutir.")),
        },
        status=status,
    )


async def build_app(
    settings: WebSettings | None = None,
    verifier: TokenVerifier | None = None,
) -> web.Application:
    settings = settings or WebSettings()
    app = web.Application(
        # Compression first: it sees the answer once every other middleware has set it.
        middlewares=[compress_answers, observe_requests, security_headers, page_context],
        client_max_size=256 * 1024,
    )
    # The pages hold no connection of their own: ready unless draining (they answer a page of
    # their own when a service behind them is down).
    install_operations(app, "web")
    app[SETTINGS_KEY] = settings
    app[SIGNER_KEY] = CsrfSigner(settings.csrf_secret)
    app[MEMBER_CACHE] = MemberCache(keep_seconds=settings.member_cache_seconds)
    app[CATALOG_CACHE] = CatalogCache()
    app[VERIFIER_KEY] = verifier or TokenVerifier(
        jwks_url=f"{settings.accounts_url.rstrip('/')}/.well-known/jwks.json"
    )
    if settings.csrf_secret == "dev-csrf-secret-change-me" and not settings.dev_mode:
        log.warning("csrf_secret_default", hint="set WEB_CSRF_SECRET; using a random one")
        app[SIGNER_KEY] = CsrfSigner(secrets.token_urlsafe(32))
    i18n.load_catalogs()
    setup_jinja(app, settings.dev_mode)

    async def http_client(app: web.Application) -> AsyncIterator[None]:
        timeout = aiohttp.ClientTimeout(total=settings.api_timeout)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            app[API_KEY] = Api(session, settings)
            yield

    app.cleanup_ctx.append(http_client)
    app.router.add_static("/static", STATIC)
    for table in ROUTE_TABLES:
        app.add_routes(table)
    return app
