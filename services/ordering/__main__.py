"""python -m services.ordering [api|all|migrate|seed]"""

from pathlib import Path

from aiohttp import web

from services.ordering.bootstrap import build_app
from services.ordering.seed import seed_demo
from services.ordering.settings import OrderingSettings
from shared.runtime import main


def run() -> None:
    settings = OrderingSettings()

    async def app() -> web.Application:
        return await build_app(settings)

    async def seed() -> None:
        await seed_demo(settings)

    main("ordering", settings, Path(__file__).parent, app, seed)


if __name__ == "__main__":
    run()
