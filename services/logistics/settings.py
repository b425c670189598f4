"""Settings of the logistics service (env prefix LOGISTICS_)."""

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class LogisticsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="LOGISTICS_", extra="ignore")

    port: int = 8083
    default_slot_capacity: int = 8
    slot_minutes: int = 15
