"""The one place where the accounts service is wired."""

from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from services.accounts.api import ROUTE_TABLES
from services.accounts.keys import ISSUER_KEY, SETTINGS_KEY
from services.accounts.security import load_signing_key, rekey_emails
from services.accounts.settings import AccountsSettings
from services.accounts.throttle import cleanup_job
from shared.auth import VERIFIER_KEY, TokenVerifier
from shared.http import create_app
from shared.logging import get_logger
from shared.runtime import DB_KEY, Platform

SERVICE_DIR = Path(__file__).parent
log = get_logger(__name__)


async def build_app(settings: AccountsSettings | None = None) -> web.Application:
    settings = settings or AccountsSettings()
    if settings.uses_default_service_secret and not settings.dev_mode:
        # Service tokens are refused (api.service_token) until a real secret is set.
        log.error(
            "service_secret_default",
            detail="ACCOUNTS_SERVICE_SECRET is the documented default: no service token will"
            " be issued; set a long random value (the same in notifications and web)",
        )
    app = create_app("accounts", "VRAC accounts API", client_max_size=64 * 1024)
    app[SETTINGS_KEY] = settings
    # Accounts verifies its own tokens with its own key: no JWKS round trip to itself.
    verifier = TokenVerifier()
    Platform("accounts", settings, SERVICE_DIR, background=[cleanup_job(settings)]).install(
        app, verifier
    )

    async def signing_key(app: web.Application) -> AsyncIterator[None]:
        async with app[DB_KEY].connection() as conn:
            issuer = await load_signing_key(conn)
            await rekey_emails(conn)
        app[ISSUER_KEY] = issuer
        app[VERIFIER_KEY].keys[issuer.key_id] = issuer.private_key.public_key()
        yield

    app.cleanup_ctx.append(signing_key)
    for table in ROUTE_TABLES:
        app.add_routes(table)
    return app
