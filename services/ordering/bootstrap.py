"""The one place where the ordering service is wired."""

from pathlib import Path

from aiohttp import web

from services.ordering.api import routes
from services.ordering.consumers import HANDLERS
from services.ordering.scheduler import scheduler
from services.ordering.settings import OrderingSettings
from shared.auth import TokenVerifier
from shared.http import create_app
from shared.runtime import Platform

SERVICE_DIR = Path(__file__).parent


async def build_app(
    settings: OrderingSettings, verifier: TokenVerifier | None = None
) -> web.Application:
    app = create_app("ordering", "VRAC ordering")
    Platform(
        "ordering",
        settings,
        SERVICE_DIR,
        dict(HANDLERS),
        background=[scheduler(settings.scheduler_interval)],
        end_access_on_leave=True,
    ).install(app, verifier)
    app.add_routes(routes)
    return app
