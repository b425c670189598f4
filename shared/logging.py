"""structlog JSON logging that never prints personal data or secrets."""

import json
import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import orjson
import structlog

SENSITIVE_KEYS = frozenset(
    {
        "password",
        "new_password",
        "phone",
        "email",
        "address",
        "street",
        "postcode",
        "city",
        "token",
        "secret",
        "authorization",
        "cookie",
        "session_id",
        "first_name",
        "last_name",
    }
)
EMAIL_PATTERN = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
# French and international numbers as people type them: "06 06 06 06 06", "+33 6 06 06 06 06".
PHONE_PATTERN = re.compile(r"(?<![\w-])(?:\+|00)?\d{1,3}?[ .-]?\d(?:[ .-]?\d{2}){4}(?![\w-])")
# Identifiers and times are never personal data; scrubbing them would only garble them.
SAFE_KEY_SUFFIXES = ("id", "_at", "timestamp", "level", "event", "routing_key", "schema")


def _scrub_text(text: str) -> str:
    return PHONE_PATTERN.sub("[phone]", EMAIL_PATTERN.sub("[email]", text))


def redact(value: Any, key: str | None = None) -> Any:
    if key is not None and key.lower() in SENSITIVE_KEYS:
        return "[redacted]"
    if isinstance(value, str):
        if key is not None and key.lower().endswith(SAFE_KEY_SUFFIXES):
            return value
        return _scrub_text(value)
    if isinstance(value, dict):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


def redact_personal_data(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    return {k: redact(v, k) for k, v in event_dict.items()}


def _unknown_as_repr(value: Any) -> Any:
    # structlog's own fallback: a `__structlog__` form if the object has one, else its repr.
    to_log = getattr(value, "__structlog__", None)
    return to_log() if callable(to_log) else repr(value)


def render_json(event_dict: Any, **_structlog_options: Any) -> str:
    """One log line, written by orjson (a few times faster than json.dumps): UTF-8 as before;
    UUIDs and datetimes now plain strings (json.dumps gave their repr), other objects their repr.
    """
    try:
        line = orjson.dumps(event_dict, default=_unknown_as_repr, option=orjson.OPT_NON_STR_KEYS)
    except orjson.JSONEncodeError:  # an integer beyond 64 bits: a log line must never fail
        return json.dumps(event_dict, ensure_ascii=False, default=_unknown_as_repr)
    return line.decode()


def configure_logging(service: str, level: str = "INFO") -> None:
    logging.basicConfig(stream=sys.stdout, format="%(message)s", level=level.upper())
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            redact_personal_data,
            structlog.processors.JSONRenderer(serializer=render_json),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
        ),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stdout),
        cache_logger_on_first_use=False,
    )
    # aiosmtpd logs every SMTP command (addresses included) at INFO on "mail.log".
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    structlog.contextvars.bind_contextvars(service=service)


def get_logger(name: str | None = None) -> Any:
    return structlog.get_logger(name)
