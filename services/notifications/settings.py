"""Settings of the notifications service (environment prefix NOTIFICATIONS_)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class NotificationsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_", extra="ignore")

    port: int = Field(default=8084, description="Port of the `api` or `all` process.")
    logistics_url: str = Field(
        default="http://127.0.0.1:8083",
        description="Base URL of the logistics API (distribution place and slots in mails).",
    )
    web_base_url: str = Field(
        default="http://127.0.0.1:8080",
        description="Public address of the site, for the links in mails.",
    )

    # Outgoing mail.
    smtp_host: str = Field(default="127.0.0.1", description="SMTP server that sends the mail.")
    smtp_port: int = Field(
        default=1025, description="Port of the SMTP server (1025: the development mail sink)."
    )
    smtp_username: str | None = Field(
        default=None, description="SMTP login; unset: no authentication."
    )
    smtp_password: str | None = Field(
        default=None, repr=False, description="SMTP password (with NOTIFICATIONS_SMTP_USERNAME)."
    )
    smtp_use_tls: bool = Field(
        default=False, description="Implicit TLS from the first byte (usually port 465)."
    )
    smtp_start_tls: bool = Field(
        default=False, description="Upgrade the connection with STARTTLS (usually port 587)."
    )
    smtp_timeout: float = Field(
        default=30.0,
        description=(
            "Timeout of one SMTP operation, in seconds; also how long a stopping worker lets"
            " the mail in hand finish."
        ),
    )
    mail_from: str = Field(
        default="VRAC <commandes@vrac-asso.org>", description="From: header of every mail."
    )
    message_id_domain: str = Field(
        default="notifications.vrac-asso.org",
        description="Domain part of the Message-ID of every mail.",
    )

    # Sender loop: how often it looks for due mail, and the retry back-off of a failed one.
    sender_poll_seconds: float = Field(
        default=1.0, description="How often an idle mail sender looks for due mail, in seconds."
    )
    sender_workers: int = Field(
        default=2,
        description="Mail senders per `worker` or `all` process, each with its SMTP connection.",
    )
    retry_base_seconds: float = Field(
        default=10.0,
        description="First delay before a failed mail is tried again; the delay then grows.",
    )
    retry_max_seconds: float = Field(
        default=900.0,
        description="Longest delay between two attempts at a failed mail, in seconds.",
    )
    # How long a mail may wait for its distribution to be known before it goes without it.
    distribution_wait_attempts: int = Field(
        default=3,
        description=(
            "Attempts a mail waits for its distribution to be known (date, place) before it"
            " goes without it."
        ),
    )

    # Closing reminder: sent this many hours before ordering closes.
    reminder_hours_before_close: float = Field(
        default=24.0,
        description="The closing reminder goes this many hours before ordering closes.",
    )
    reminder_check_seconds: float = Field(
        default=60.0,
        description="How often the scheduler looks for closing reminders to send, in seconds.",
    )

    # Development mail sink (aiosmtpd), started inside the service when dev_mode is on.
    mailsink_enabled: bool | None = Field(
        default=None,
        description="Run the development mail sink (aiosmtpd) in-process; unset: in dev mode.",
    )
    mailsink_host: str = Field(
        default="127.0.0.1", description="Address the development mail sink listens on."
    )
    mailsink_port: int = Field(
        default=1025, description="Port the development mail sink listens on."
    )

    @property
    def run_mailsink(self) -> bool:
        return self.dev_mode if self.mailsink_enabled is None else self.mailsink_enabled
