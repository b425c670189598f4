"""Ordering settings (env prefix ORDERING_)."""

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class OrderingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ORDERING_", extra="ignore")

    port: int = 8082
    # How often the scheduler looks for distributions whose opening/closing time passed.
    scheduler_interval: float = 5.0
