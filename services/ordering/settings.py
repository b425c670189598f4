"""Ordering settings (env prefix ORDERING_)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class OrderingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ORDERING_", extra="ignore")

    port: int = Field(default=8082, description="Port of the `api` or `all` process.")
    # How often the scheduler looks for distributions whose opening/closing time passed.
    scheduler_interval: float = Field(
        default=5.0,
        description=(
            "How often (seconds) the scheduler of a `worker` or `all` process opens and closes"
            " distributions whose opening or closing time has passed."
        ),
    )
