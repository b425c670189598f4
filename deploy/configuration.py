"""The configuration reference, generated from the settings classes: docs/configuration.md.

    .venv/bin/python -m deploy.configuration          # rewrite docs/configuration.md
    .venv/bin/python -m deploy.configuration --check  # exit 1 if it is out of date

Every field of shared/settings.py and services/*/settings.py must carry `description=`: the
generator refuses a field without one (and so does tests/unit/test_configuration_reference.py),
so that a new setting cannot land undocumented.
"""

import argparse
import difflib
import json
import sys
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from services.accounts.settings import AccountsSettings
from services.logistics.settings import LogisticsSettings
from services.notifications.settings import NotificationsSettings
from services.ordering.settings import OrderingSettings
from services.web.settings import WebSettings
from shared.lifecycle import UVLOOP_VARIABLE
from shared.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "configuration.md"
COMMAND = ".venv/bin/python -m deploy.configuration"

SERVICES: dict[str, type[ServiceSettings]] = {
    "accounts": AccountsSettings,
    "ordering": OrderingSettings,
    "logistics": LogisticsSettings,
    "notifications": NotificationsSettings,
    "web": WebSettings,
}

# The process roles of each service (`python -m services.<name> <role>`).
SERVICE_ROLES: dict[str, str] = {
    "accounts": "`api`, `worker`, `all`, `migrate`, `seed`",
    "ordering": "`api`, `worker`, `all`, `migrate`, `seed`",
    "logistics": "`api`, `worker`, `all`, `migrate`, `seed`",
    "notifications": "`api`, `worker`, `all`, `migrate`, `seed`",
    "web": "`api`, `all` (no `worker`; `migrate` and `seed` do nothing)",
}

# Which roles read a setting, where it is not every role. Keys are shared field names, or
# "<service>.<field>" for a service's own; a key naming no field is an error (renames show).
ROLES: dict[str, str] = {
    "database_url": "every role (not web)",
    "amqp_url": "`worker`, `all`",
    "events_exchange": "`worker`, `all`",
    "port": "`api`, `all`",
    "worker_port": "`worker`",
    "db_pool_min": "`api`, `worker`, `all`",
    "db_pool_max": "`api`, `all`",
    "worker_db_pool_max": "`worker`",
    "db_concurrency": "`api`, `worker`, `all`",
    "service_secret": "accounts, notifications and web",
    "drain_seconds": "`api`, `worker`, `all`",
    "shutdown_timeout": "`api`, `worker`, `all`",
    "outbox_retention": "`worker`, `all`",
    "accounts.admin_email": "none (no code reads it today)",
    "accounts.session_days": "`api`, `all`",
    "accounts.reset_token_minutes": "`api`, `all`",
    "accounts.login_window_seconds": "`api`, `all`",
    "accounts.login_max_failures_per_account": "`api`, `all`",
    "accounts.login_max_failures_per_ip": "`api`, `all`",
    "accounts.trusted_proxies": "`api`, `all`",
    "web.base_url": "none (no code reads it today)",
    "ordering.scheduler_interval": "`worker`, `all`",
    "logistics.default_slot_capacity": "`worker`, `all`",
    "logistics.slot_minutes": "`worker`, `all`",
    "notifications.logistics_url": "`worker`, `all`",
    "notifications.web_base_url": "`worker`, `all`",
    "notifications.smtp_host": "`worker`, `all`",
    "notifications.smtp_port": "`worker`, `all`",
    "notifications.smtp_username": "`worker`, `all`",
    "notifications.smtp_password": "`worker`, `all`",
    "notifications.smtp_use_tls": "`worker`, `all`",
    "notifications.smtp_start_tls": "`worker`, `all`",
    "notifications.smtp_timeout": "`worker`, `all`",
    "notifications.mail_from": "`worker`, `all`",
    "notifications.message_id_domain": "`worker`, `all`",
    "notifications.sender_poll_seconds": "`worker`, `all`",
    "notifications.sender_workers": "`worker`, `all`",
    "notifications.retry_base_seconds": "`worker`, `all`",
    "notifications.retry_max_seconds": "`worker`, `all`",
    "notifications.distribution_wait_attempts": "`worker`, `all`",
    "notifications.reminder_hours_before_close": "`worker`, `all`",
    "notifications.reminder_check_seconds": "`worker`, `all`",
    "notifications.mailsink_enabled": "`worker`, `all`",
    "notifications.mailsink_host": "`worker`, `all`",
    "notifications.mailsink_port": "`worker`, `all`",
}

# Shared settings a service accepts but never reads: web holds no database, broker or worker;
# accounts verifies tokens with its own key; notifications and web ask accounts for service tokens.
UNUSED: dict[str, frozenset[str]] = {
    "accounts": frozenset({"accounts_url"}),
    "ordering": frozenset({"service_secret"}),
    "logistics": frozenset({"service_secret"}),
    "web": frozenset(
        {
            "database_url",
            "amqp_url",
            "events_exchange",
            "worker_port",
            "db_pool_min",
            "db_pool_max",
            "worker_db_pool_max",
            "db_concurrency",
            "outbox_retention",
        }
    ),
}


class ConfigurationError(ValueError):
    """A settings class the reference cannot describe (a field without description…)."""


@dataclass(frozen=True)
class Setting:
    name: str
    type: str
    default: str
    secret: bool
    description: str


def prefix_of(cls: type[ServiceSettings]) -> str:
    return str(cls.model_config.get("env_prefix", ""))


def env_name(cls: type[ServiceSettings], field: str) -> str:
    return f"{prefix_of(cls)}{field}".upper()


def render_type(annotation: Any) -> str:
    args = typing.get_args(annotation)
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        present = [a for a in args if a is not type(None)]
        text = " or ".join(render_type(a) for a in present)
        return f"{text} (optional)" if len(present) < len(args) else text
    if typing.get_origin(annotation) is list:
        return f"JSON list of {render_type(args[0])}" if args else "JSON list"
    if isinstance(annotation, type):
        return annotation.__name__
    return str(annotation).replace("typing.", "")


def default_value(info: FieldInfo) -> Any:
    if info.default_factory is not None:
        return info.default_factory()  # type: ignore[call-arg]
    return None if info.default is PydanticUndefined else info.default


def render_default(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if isinstance(value, str):
        return f"`{value}`" if value else '`""`'
    if isinstance(value, list | dict):
        return f"`{json.dumps(value)}`"
    return f"`{value}`"


def describe(cls: type[ServiceSettings], field: str) -> str:
    """The field's description; a service that only changes a shared field's default keeps the
    shared description."""
    for klass in cls.__mro__:
        fields: dict[str, FieldInfo] = getattr(klass, "model_fields", {})
        text = fields[field].description if field in fields else None
        if text and text.strip():
            return " ".join(text.split())
    raise ConfigurationError(
        f"{cls.__module__}.{cls.__name__}.{field} has no description: give it "
        f'Field(default=..., description="...") — the configuration reference is built from it'
    )


def settings_of(cls: type[ServiceSettings]) -> dict[str, Setting]:
    result: dict[str, Setting] = {}
    errors: list[str] = []
    for name, info in cls.model_fields.items():
        if info.alias or info.validation_alias:
            errors.append(f"{cls.__name__}.{name}: aliases are not supported by the reference")
            continue
        try:
            description = describe(cls, name)
        except ConfigurationError as exc:
            errors.append(str(exc))
            continue
        result[name] = Setting(
            name=name,
            type=render_type(info.annotation),
            default=render_default(default_value(info)),
            secret=info.repr is False,
            description=description,
        )
    if errors:
        raise ConfigurationError("\n".join(errors))
    return result


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def row(*cells: str) -> str:
    return "| " + " | ".join(cell(c) for c in cells) + " |"


def meaning(setting: Setting) -> str:
    if setting.secret and setting.default not in ("unset", '`""`'):
        return (
            f"{setting.description} **Secret**: the default is a public development value; "
            "set your own in production (from a secret store, never committed)."
        )
    if setting.secret:
        return f"{setting.description} **Secret**: from a secret store, never committed."
    return setting.description


def check_tables(shared: dict[str, Setting], services: dict[str, dict[str, Setting]]) -> None:
    known = set(shared) | {f"{s}.{f}" for s, fields in services.items() for f in fields}
    stale = [key for key in ROLES if key not in known]
    stale += [f"UNUSED[{s}]: {f}" for s, names in UNUSED.items() for f in names if f not in shared]
    if stale:
        raise ConfigurationError(
            "deploy/configuration.py names settings that do not exist: " + ", ".join(stale)
        )


def render() -> str:
    base = settings_of(ServiceSettings)
    per_service = {name: settings_of(cls) for name, cls in SERVICES.items()}
    own = {name: {k: v for k, v in s.items() if k not in base} for name, s in per_service.items()}
    check_tables(base, own)

    lines = [
        "# Configuration reference",
        "",
        "<!-- Generated from the settings classes (shared/settings.py, services/*/settings.py)",
        f"     by `{COMMAND}`. Do not edit by hand: change a field's",
        "     `description=` and regenerate; `make test` fails while this file is out of date. -->",
        "",
        "Every setting is an environment variable: the service's prefix followed by the field's",
        "name in capitals (`ORDERING_DB_POOL_MAX` sets `db_pool_max` of ordering). Names are read",
        "case-insensitively; an unset variable takes the default. Booleans are `true`/`false`,",
        'lists are JSON (`["10.0.0.5", "10.0.0.6"]`), durations are in seconds unless the name',
        "says otherwise. Unknown variables are ignored, so check the spelling against this page.",
        "",
        "Settings marked **Secret** have a development default that is public (it is in the",
        "code): every one of them must be set in production.",
        "",
        "| Service | Prefix | Port | Worker port | Roles |",
        "|---|---|---|---|---|",
    ]
    for name, cls in SERVICES.items():
        # From the class, never from an instance: the environment must not leak into the page.
        port = int(default_value(cls.model_fields["port"]))
        worker = "—" if name == "web" else f"`{port + 100}`"
        prefix = prefix_of(cls)
        lines.append(row(name, f"`{prefix}`", f"`{port}`", worker, SERVICE_ROLES[name]))
    lines += [
        "",
        f"`{UVLOOP_VARIABLE}` (no prefix, every process): `0`, `false`, `no` or `off` runs the",
        "process on asyncio's own event loop instead of uvloop (default: uvloop).",
        "",
        "## Every service",
        "",
        "`*` stands for the service's prefix: "
        + ", ".join(f"`{prefix_of(cls)}`" for cls in SERVICES.values())
        + ". Web reads only some of them (see its section).",
        "",
        "| Variable | Type | Default | Read by | Meaning |",
        "|---|---|---|---|---|",
    ]
    for field, setting in base.items():
        service_defaults = {name: s[field].default for name, s in per_service.items()}
        if len(set(service_defaults.values())) > 1:
            default = ", ".join(f"{name} {value}" for name, value in service_defaults.items())
        else:
            default = setting.default
        lines.append(
            row(
                f"`*_{field.upper()}`",
                setting.type,
                default,
                ROLES.get(field, "every role"),
                meaning(setting),
            )
        )
    for name, cls in SERVICES.items():
        prefix = prefix_of(cls)
        unused = UNUSED.get(name, frozenset())
        read = [f"`{env_name(cls, f)}`" for f in base if f not in unused]
        lines += ["", f"## {name} (`{prefix}`)", ""]
        lines.append(f"Shared variables it reads: {', '.join(read)}.")
        if unused:
            ignored = [f"`{env_name(cls, f)}`" for f in base if f in unused]
            lines += ["", f"Accepted but not used by {name}: {', '.join(ignored)}."]
        if not own[name]:
            continue
        lines += [
            "",
            "| Variable | Type | Default | Read by | Meaning |",
            "|---|---|---|---|---|",
        ]
        for field, setting in own[name].items():
            lines.append(
                row(
                    f"`{env_name(cls, field)}`",
                    setting.type,
                    setting.default,
                    ROLES.get(f"{name}.{field}", "every role"),
                    meaning(setting),
                )
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.configuration", description=__doc__)
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if docs/configuration.md is out of date"
    )
    args = parser.parse_args(argv)
    try:
        text = render()
    except ConfigurationError as exc:
        print(f"configuration reference: {exc}", file=sys.stderr)
        return 1
    current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
    if args.check:
        if current == text:
            return 0
        diff = difflib.unified_diff(
            current.splitlines(keepends=True),
            text.splitlines(keepends=True),
            "docs/configuration.md (committed)",
            "docs/configuration.md (generated)",
        )
        sys.stderr.writelines(diff)
        print(f"docs/configuration.md is out of date: run `{COMMAND}`", file=sys.stderr)
        return 1
    if current != text:
        OUTPUT.write_text(text, encoding="utf-8")
        print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
