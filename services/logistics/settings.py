"""Settings of the logistics service (env prefix LOGISTICS_)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class LogisticsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="LOGISTICS_", extra="ignore")

    port: int = Field(default=8083, description="Port of the `api` or `all` process.")
    default_slot_capacity: int = Field(
        default=8,
        description="Pick-up bookings per slot when a distribution's slots are created.",
    )
    slot_minutes: int = Field(
        default=15,
        ge=5,
        description=(
            "Length of one pick-up slot of a distribution, in minutes (at least 5, so that a"
            " 24-hour distribution stays within the bounded number of slots)."
        ),
    )
