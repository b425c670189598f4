"""python -m services.logistics [api|all|migrate|seed]"""

from pathlib import Path

from services.logistics.bootstrap import build_app
from services.logistics.seed import seed_demo
from services.logistics.settings import LogisticsSettings
from shared.runtime import main

if __name__ == "__main__":
    settings = LogisticsSettings()
    main(
        "logistics",
        settings,
        Path(__file__).parent,
        lambda: build_app(settings),
        lambda: seed_demo(settings),
    )
