from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class AccountsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ACCOUNTS_", extra="ignore")

    port: int = Field(default=8081, description="Port of the `api` or `all` process.")
    session_days: int = Field(
        default=30, description="Lifetime of a member's session after log-in, in days."
    )
    reset_token_minutes: int = Field(
        default=60, description="Validity of a password-reset link, in minutes."
    )
    # Log-in throttling: failures allowed per window, per account and per client address.
    login_window_seconds: int = Field(
        default=15 * 60,
        description="Log-in throttling window, in seconds: failures older than this are forgotten.",
    )
    login_max_failures_per_account: int = Field(
        default=5,
        description="Failed log-ins allowed per account within the window; then 429.",
    )
    login_max_failures_per_ip: int = Field(
        default=30,
        description="Failed log-ins allowed per client address within the window; then 429.",
    )
    admin_email: str = Field(
        default="admin@vrac-asso.org", description="Address of the platform's administrator."
    )
    # Peers allowed to pass the member's address in X-Forwarded-For (the web service).
    trusted_proxies: list[str] = Field(
        default_factory=lambda: ["127.0.0.1", "::1"],
        description=(
            "Peer addresses (the web service's) allowed to pass the member's address in"
            " X-Forwarded-For, for log-in throttling; a JSON list."
        ),
    )
