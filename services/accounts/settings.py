from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class AccountsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ACCOUNTS_", extra="ignore")

    port: int = 8081
    session_days: int = 30
    reset_token_minutes: int = 60
    # Log-in throttling: failures allowed per window, per account and per client address.
    login_window_seconds: int = 15 * 60
    login_max_failures_per_account: int = 5
    login_max_failures_per_ip: int = 30
    admin_email: str = Field(default="admin@vrac-asso.org")
    # Peers allowed to pass the member's address in X-Forwarded-For (the web service).
    trusted_proxies: list[str] = Field(default_factory=lambda: ["127.0.0.1", "::1"])
