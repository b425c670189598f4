from pathlib import Path

from services.accounts.bootstrap import build_app
from services.accounts.seed import seed_demo
from services.accounts.settings import AccountsSettings
from shared.runtime import main

if __name__ == "__main__":
    settings = AccountsSettings()
    main(
        "accounts",
        settings,
        Path(__file__).parent,
        lambda: build_app(settings),
        lambda: seed_demo(settings),
    )
