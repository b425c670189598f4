"""Settings common to every service; each service subclasses with its own env prefix."""

from functools import cached_property
from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import TYPE_CHECKING, Annotated

from pydantic import AfterValidator, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# Documented, hence public: accepted only in dev mode (accounts refuses it otherwise).
DEFAULT_SERVICE_SECRET = "dev-service-secret-change-me"


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    database_url: str = Field(
        default="postgresql://postgres@127.0.0.1:5432/vrac",
        description="PostgreSQL URL, logging in as the service's own role (not used by web).",
    )
    amqp_url: str = Field(
        default="amqp://guest:guest@127.0.0.1:5672/",
        description=(
            "RabbitMQ URL of the outbox relay and the consumers (`worker` and `all`; an `api`"
            " process does not connect to the broker)."
        ),
    )
    events_exchange: str = Field(
        default="vrac.events",
        description=(
            "Topic exchange the events go through. A prefix before `vrac.events` also prefixes"
            " the service's queue names (the tests use one per run)."
        ),
    )
    host: str = Field(
        default="127.0.0.1",
        description="Address the process listens on (`0.0.0.0` in a container).",
    )
    port: int = Field(default=8080, description="Port of an `api` or `all` process.")
    # A `worker` serves its probes and metrics here (default: port + 100).
    worker_port: int | None = Field(
        default=None,
        description="Port of a `worker` process (/healthz, /readyz, /metrics); unset: PORT + 100.",
    )
    db_pool_min: int = Field(
        default=2,
        description="Database connections a process opens at start (at most its pool's maximum).",
    )
    # Pool of an `api` or `all` process; a `worker` takes worker_db_pool_max (docs/deploying.md).
    db_pool_max: int = Field(
        default=10,
        description=(
            "Largest database pool of an `api` or `all` process. Replicas × pool, summed over"
            " every service, must stay below what Postgres (or PgBouncer) accepts."
        ),
    )
    worker_db_pool_max: int = Field(
        default=4, description="Largest database pool of a `worker` process."
    )
    # The line in front of the pool, first come first served. asyncpg's own queue for a free
    # connection does not keep the order: under a rush a few requests wait far longer than the
    # rest (order-close rush, pool of 10: p99 3.7–4 × p50 with 64 here, 1.6 × with 10).
    db_concurrency: int | None = Field(
        default=None,
        ge=1,
        description=(
            "Requests allowed at the database at once per process; the others wait in line,"
            " first come first served (metric `db_pool_waiting`). Unset: the process's pool"
            " size (`DB_POOL_MAX`, or `WORKER_DB_POOL_MAX` for a `worker`)."
        ),
    )
    accounts_url: str = Field(
        default="http://127.0.0.1:8081",
        description="Base URL of the accounts API: its public keys (JWKS) verify members' tokens.",
    )
    service_secret: str = Field(
        default=DEFAULT_SERVICE_SECRET,
        repr=False,
        description=(
            "Shared secret a service gives accounts for a service token (notifications does);"
            " accounts and notifications must have the same. A long random value in production."
        ),
    )
    dev_mode: bool = Field(
        default=False,
        description=(
            "Development conveniences (dev pages, in-process mail sink, plain-http cookies)."
            " Never in production."
        ),
    )
    log_level: str = Field(
        default="INFO",
        description="Lowest level of the JSON log lines: DEBUG, INFO, WARNING or ERROR.",
    )
    # SIGTERM: /readyz turns 503 and the process keeps serving for drain_seconds (the load
    # balancer takes it out), then stops accepting and finishes; it exits within shutdown_timeout.
    drain_seconds: float = Field(
        default=5.0,
        description=(
            "After SIGTERM, /readyz answers 503 and the process keeps serving this long (seconds)"
            " so that the load balancer takes it out before it stops accepting."
        ),
    )
    shutdown_timeout: float = Field(
        default=20.0,
        description=(
            "Budget from SIGTERM to exit, drain included (seconds); give the orchestrator a"
            " longer grace period (e.g. 30 s)."
        ),
    )

    # Published events and handled-event ids are of no use after a while, and they name people.
    outbox_retention: float = Field(
        default=7 * 24 * 3600.0,
        description=(
            "Seconds published outbox rows, inbox rows (handled event ids) and idempotency"
            " answers are kept before the worker deletes them (604800: 7 days)."
        ),
    )

    @property
    def uses_default_service_secret(self) -> bool:
        return self.service_secret == DEFAULT_SERVICE_SECRET

    @property
    def effective_worker_port(self) -> int:
        return self.worker_port if self.worker_port is not None else self.port + 100


def _normalised_networks(value: list[str]) -> list[str]:
    # A typo must stop the start, not silently trust nobody (or everybody).
    return [str(ip_network(item.strip(), strict=False)) for item in value]


def local_proxies() -> list[str]:
    """Default of `trusted_proxies`: a proxy on the same host only."""
    return ["127.0.0.1/32", "::1/128"]


# CIDR networks (a bare address means /32 or /128), checked and normalised at start.
ProxyNetworks = Annotated[list[str], AfterValidator(_normalised_networks)]


class BehindProxiesSettings(ServiceSettings):
    """A service that believes X-Forwarded-For from its reverse proxies (accounts, web).

    The subclass declares `trusted_proxies: ProxyNetworks = Field(default_factory=local_proxies,
    description=...)` itself: its description is the service's own, and a field declared here
    would move it in docs/configuration.md (fields are listed in declaration order).
    """

    if TYPE_CHECKING:
        trusted_proxies: ProxyNetworks

    @cached_property
    def trusted_networks(self) -> list[IPv4Network | IPv6Network]:
        return [ip_network(item) for item in self.trusted_proxies]
