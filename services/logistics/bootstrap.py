"""The one place where the logistics service is wired together."""

from pathlib import Path

from aiohttp import web

from services.logistics import erasure
from services.logistics.api import routes
from services.logistics.consumers import build_handlers
from services.logistics.settings import LogisticsSettings
from shared.auth import TokenVerifier
from shared.http import create_app
from shared.runtime import Platform

NAME = "logistics"
SERVICE_DIR = Path(__file__).parent


async def build_app(
    settings: LogisticsSettings, verifier: TokenVerifier | None = None
) -> web.Application:
    app = create_app(NAME, "VRAC logistics")
    Platform(
        NAME,
        settings,
        SERVICE_DIR,
        build_handlers(settings),
        background=[erasure.purge_job],
        end_access_on_leave=True,
    ).install(app, verifier)
    app.add_routes(routes)
    return app
