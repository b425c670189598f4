"""python -m services.notifications [api|worker|all|migrate|seed|mailsink]"""

import asyncio
import sys
from pathlib import Path

from services.notifications.bootstrap import build_app
from services.notifications.mailsink import run_standalone
from services.notifications.seed import seed_demo
from services.notifications.settings import NotificationsSettings
from shared.logging import configure_logging
from shared.migrations import migrate
from shared.runtime import main


async def _mailsink(settings: NotificationsSettings) -> None:
    await migrate(settings.database_url, "notifications", Path(__file__).parent)
    await run_standalone(settings)


if __name__ == "__main__":
    settings = NotificationsSettings()
    if sys.argv[1:2] == ["mailsink"]:
        configure_logging("notifications-mailsink", settings.log_level)
        asyncio.run(_mailsink(settings))
    else:
        main(
            "notifications",
            settings,
            Path(__file__).parent,
            lambda: build_app(settings),
            lambda: seed_demo(settings),
        )
