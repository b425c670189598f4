"""The one place where the notifications service is wired together."""

from pathlib import Path

import aiohttp
from aiohttp import web

from services.notifications import export as personal_export
from services.notifications.api import dev_routes, routes
from services.notifications.compose import Composer
from services.notifications.consumers import HANDLERS
from services.notifications.mailsink import mailsink_job
from services.notifications.retention import mail_retention_job
from services.notifications.scheduler import mail_queue_job, reminder_job
from services.notifications.sender import Sender
from services.notifications.settings import NotificationsSettings
from shared.auth import TokenVerifier
from shared.clients import InternalApi, ServiceTokens
from shared.clients.accounts import AccountsClient
from shared.clients.logistics import LogisticsClient
from shared.db import Database
from shared.http import create_app
from shared.jobs import BackgroundJob
from shared.runtime import Platform

SERVICE_DIR = Path(__file__).parent
HTTP_TIMEOUT = aiohttp.ClientTimeout(total=10, connect=3)


def sender_job(settings: NotificationsSettings) -> BackgroundJob:
    """The sender with its own HTTP session to accounts and logistics."""

    async def run(db: Database) -> None:
        async with aiohttp.ClientSession(timeout=HTTP_TIMEOUT) as session:
            tokens = ServiceTokens(session, settings.accounts_url, settings.service_secret)
            accounts = AccountsClient(InternalApi(session, settings.accounts_url, tokens))
            logistics = LogisticsClient(InternalApi(session, settings.logistics_url, tokens))
            composer = Composer(settings, accounts, logistics)
            await Sender(settings, composer, accounts).run(db)

    return run


async def build_app(
    settings: NotificationsSettings | None = None, verifier: TokenVerifier | None = None
) -> web.Application:
    settings = settings or NotificationsSettings()
    app = create_app("notifications", "VRAC notifications")
    background = [
        sender_job(settings),
        reminder_job(settings),
        mail_queue_job(),
        mail_retention_job,
    ]
    if settings.run_mailsink:
        background.append(mailsink_job(settings))
    Platform("notifications", settings, SERVICE_DIR, dict(HANDLERS), background=background).install(
        app, verifier
    )
    # The internal export asks accounts for the names in mail subjects.
    personal_export.install(app, settings)
    app.add_routes(routes)
    if settings.dev_mode:
        app.add_routes(dev_routes)
    return app
