"""python -m services.web [api|all|migrate|seed] — the web pages hold no database of their own:
`migrate` and `seed` have nothing to do, `api` and `all` serve the pages; there is no `worker`."""

import argparse

from shared.http import serve
from shared.lifecycle import run_event_loop
from shared.logging import configure_logging

from .bootstrap import build_app
from .rendering import warm_up_pages
from .settings import WebSettings


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m services.web")
    parser.add_argument(
        "command", nargs="?", default="api", choices=["api", "all", "migrate", "seed"]
    )
    # `worker` is refused by argparse (exit 2): the pages have no relay, consumer or job.
    args = parser.parse_args()
    settings = WebSettings()
    configure_logging("web", settings.log_level)
    if args.command in ("migrate", "seed"):
        return

    async def run() -> None:
        app = await build_app(settings)
        warm_up_pages(app)
        await serve(
            app, settings.host, settings.port, settings.drain_seconds, settings.shutdown_timeout
        )

    run_event_loop(run())


main()
