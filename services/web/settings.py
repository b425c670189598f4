"""Web settings (env prefix WEB_)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class WebSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="WEB_", extra="ignore")

    port: int = 8080
    # The public address of the site (links in emails are built by accounts/notifications).
    base_url: str = "http://127.0.0.1:8080"
    ordering_url: str = "http://127.0.0.1:8082"
    logistics_url: str = "http://127.0.0.1:8083"
    notifications_url: str = "http://127.0.0.1:8084"
    # Secure, `__Host-` cookies. Dev mode (WEB_DEV_MODE=true, what `make run` sets on plain
    # http://127.0.0.1) turns them into plain `vrac_session` cookies without Secure and HSTS.
    secure_cookies: bool = True
    # Signs the CSRF double-submit token (itsdangerous). Set a long random value in production.
    csrf_secret: str = Field(default="dev-csrf-secret-change-me", repr=False)
    # Timeout of one call to another service, in seconds.
    api_timeout: float = 10.0

    @property
    def cookies_secure(self) -> bool:
        return self.secure_cookies and not self.dev_mode

    @property
    def session_cookie(self) -> str:
        return "__Host-vrac_session" if self.cookies_secure else "vrac_session"

    @property
    def csrf_cookie(self) -> str:
        return "__Host-vrac_csrf" if self.cookies_secure else "vrac_csrf"
