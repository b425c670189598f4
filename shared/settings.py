"""Settings common to every service; each service subclasses with its own env prefix."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    database_url: str = "postgresql://postgres@127.0.0.1:5432/vrac"
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    events_exchange: str = "vrac.events"
    host: str = "127.0.0.1"
    port: int = 8080
    db_pool_min: int = 2
    db_pool_max: int = 16
    # Bound concurrency in front of the pool: asyncpg serves waiters unfairly under overload.
    db_concurrency: int = 64
    accounts_url: str = "http://127.0.0.1:8081"
    service_secret: str = Field(default="dev-service-secret-change-me", repr=False)
    dev_mode: bool = False
    log_level: str = "INFO"
    shutdown_timeout: float = 10.0
