"""Settings of the notifications service (environment prefix NOTIFICATIONS_)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class NotificationsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_", extra="ignore")

    port: int = 8084
    logistics_url: str = "http://127.0.0.1:8083"
    web_base_url: str = "http://127.0.0.1:8080"

    # Outgoing mail.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_username: str | None = None
    smtp_password: str | None = Field(default=None, repr=False)
    smtp_use_tls: bool = False
    smtp_start_tls: bool = False
    smtp_timeout: float = 30.0
    mail_from: str = "VRAC <commandes@vrac-asso.org>"
    message_id_domain: str = "notifications.vrac-asso.org"

    # Sender loop: how often it looks for due mail, and the retry back-off of a failed one.
    sender_poll_seconds: float = 1.0
    sender_workers: int = 2
    retry_base_seconds: float = 10.0
    retry_max_seconds: float = 900.0
    # How long a mail may wait for its distribution to be known before it goes without it.
    distribution_wait_attempts: int = 3

    # Closing reminder: sent this many hours before ordering closes.
    reminder_hours_before_close: float = 24.0
    reminder_check_seconds: float = 60.0

    # Development mail sink (aiosmtpd), started inside the service when dev_mode is on.
    mailsink_enabled: bool | None = None
    mailsink_host: str = "127.0.0.1"
    mailsink_port: int = 1025

    @property
    def run_mailsink(self) -> bool:
        return self.dev_mode if self.mailsink_enabled is None else self.mailsink_enabled
