"""Web settings (env prefix WEB_)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import BehindProxiesSettings, ProxyNetworks, local_proxies


class WebSettings(BehindProxiesSettings):
    model_config = SettingsConfigDict(env_prefix="WEB_", extra="ignore")

    port: int = Field(default=8080, description="Port of the web pages (`api` or `all`).")
    # The public address of the site (links in emails are built by accounts/notifications).
    base_url: str = Field(
        default="http://127.0.0.1:8080", description="Public address of the site."
    )
    member_cache_seconds: float = Field(
        default=60.0,
        ge=0,
        description=(
            "How long a page may reuse the member's access token and `/me` fetched by an earlier"
            " page of the same session, in seconds (never past the token's expiry; 0: ask"
            " accounts on every page). With several web replicas, a log-out or password reset"
            " made through one is seen by the others within this time."
        ),
    )
    ordering_url: str = Field(
        default="http://127.0.0.1:8082",
        description="Base URL of the ordering API (its load balancer when replicated).",
    )
    logistics_url: str = Field(
        default="http://127.0.0.1:8083",
        description="Base URL of the logistics API (its load balancer when replicated).",
    )
    notifications_url: str = Field(
        default="http://127.0.0.1:8084", description="Base URL of the notifications API."
    )
    # Secure, `__Host-` cookies. Dev mode (WEB_DEV_MODE=true, what `make run` sets on plain
    # http://127.0.0.1) turns them into plain `vrac_session` cookies without Secure and HSTS.
    secure_cookies: bool = Field(
        default=True,
        description="Secure `__Host-` cookies and HSTS; dev mode turns them off (plain http).",
    )
    # Signs the CSRF double-submit token (itsdangerous). Set a long random value in production.
    csrf_secret: str = Field(
        default="dev-csrf-secret-change-me",
        repr=False,
        description=(
            "Signs the CSRF token: a long random value, the same on every web replica. Left at"
            " the default outside dev mode, each process picks a random one (forms posted to"
            " another replica then fail)."
        ),
    )
    # Timeout of one call to another service, in seconds.
    api_timeout: float = Field(
        default=10.0, description="Timeout of one call to another service, in seconds."
    )

    # Peers whose X-Forwarded-For is believed for the member's address (services/web/clientaddr):
    # the reverse proxies in front of the web, never a range clients can reach the web from.
    trusted_proxies: ProxyNetworks = Field(
        default_factory=local_proxies,
        description=(
            "Networks (CIDR, a JSON list) of the reverse proxies in front of the web: from"
            " them, the right-most X-Forwarded-For address that is not a proxy is the member's"
            " (log-in throttling per address, local-only dev pages)."
        ),
    )

    @property
    def cookies_secure(self) -> bool:
        return self.secure_cookies and not self.dev_mode

    @property
    def session_cookie(self) -> str:
        return "__Host-vrac_session" if self.cookies_secure else "vrac_session"

    @property
    def csrf_cookie(self) -> str:
        return "__Host-vrac_csrf" if self.cookies_secure else "vrac_csrf"
