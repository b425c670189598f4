from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import BehindProxiesSettings, ProxyNetworks, local_proxies


class AccountsSettings(BehindProxiesSettings):
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
    reset_max_mails_per_hour: int = Field(
        default=3,
        description=(
            "Password-reset mails sent per account within an hour; further requests get the same"
            " 202 answer and send nothing."
        ),
    )
    throttle_key: str = Field(
        default="",
        repr=False,
        description=(
            "Key of the HMAC-SHA256 under which throttle keys (e-mail addresses, client"
            " addresses) are stored, never in clear; empty: derived from SERVICE_SECRET."
        ),
    )
    # Proxies (load balancer, web tier) in front of accounts; see client_address.py.
    trusted_proxies: ProxyNetworks = Field(
        default_factory=local_proxies,
        description=(
            "Networks of the proxies allowed to pass the client's address in X-Forwarded-For,"
            " for log-in throttling; a JSON list of CIDR networks (a bare address means /32 or"
            " /128). The right-most address that is not itself a trusted proxy is the client's."
        ),
    )
