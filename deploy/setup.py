"""Prepare a production deployment, then exit: `python -m deploy.setup`.

What the compose `setup` service and the Kubernetes migration Job run before any service starts
(every other container waits for it to complete successfully). Idempotent: run it again at
every release, and after changing a password (it sets the passwords again).

1. Postgres, as the admin role of VRAC_ADMIN_DATABASE_URL (a superuser, or a role with
   CREATEROLE on a managed Postgres): the `vrac` database, one login role per service that owns
   its schema (deploy/postgres-roles.sql), and each role's password, taken from the service's own
   `<SERVICE>_DATABASE_URL` (postgresql://ordering:PASSWORD@host:5432/vrac), so a password is
   written once, in the env file or the Kubernetes Secret.
2. RabbitMQ, through the management HTTP API at VRAC_RABBITMQ_MANAGEMENT_URL with the broker's
   admin user (VRAC_RABBITMQ_ADMIN_USER / VRAC_RABBITMQ_ADMIN_PASSWORD): the virtual host and
   one user per service, taken from `<SERVICE>_AMQP_URL`, allowed only on the events exchange
   and its own queues (see `broker_permissions`). Skipped when VRAC_RABBITMQ_MANAGEMENT_URL is
   empty (users managed elsewhere, e.g. by the RabbitMQ messaging-topology operator).
3. `python -m services.<name> migrate` for every service that owns a schema, as its own role.
4. The demo data, only with VRAC_SEED_DEMO=true (a trial deployment, never production).
"""

import asyncio
import os
import re
import sys
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

import aiohttp
import asyncpg

from deploy import run

SERVICES = run.OWN_SCHEMA
DEFAULT_EXCHANGE = "vrac.events"


def say(message: str) -> None:
    print(f"[setup] {message}", flush=True)


@dataclass(frozen=True)
class Credentials:
    user: str
    password: str | None
    vhost: str = "/"


def credentials(url: str) -> Credentials:
    """The user, password and (AMQP) virtual host written in a connection URL."""
    parts = urlsplit(url)
    if not parts.username:
        raise ValueError(f"no user in {parts.scheme}://{parts.hostname}{parts.path}")
    password = unquote(parts.password) if parts.password is not None else None
    # amqp://user:pass@host:5672/ is the default virtual host "/"; "/%2F" spells it too.
    vhost = unquote(parts.path[1:]) if parts.path.startswith("/") else ""
    return Credentials(unquote(parts.username), password, vhost or "/")


def service_url(service: str, kind: str) -> str:
    name = f"{service.upper()}_{kind}_URL"
    value = os.environ.get(name, "")
    if not value:
        raise SystemExit(f"{name} is not set (see deploy/.env.example)")
    return value


def broker_permissions(service: str, exchange: str = DEFAULT_EXCHANGE) -> dict[str, str]:
    """RabbitMQ configure/write/read patterns for one service user.

    It declares the events exchange, its alternate exchange and parking queue (`.unrouted`), the
    dead-letter exchange (`.dlx`), and its own queue with `.dlq` and `.retry.<n>s`; it publishes
    to the events exchange and, for retries, to the default exchange; it consumes its own queues.
    It can neither read another service's queue nor configure anything else.
    """
    prefix = exchange.removesuffix(DEFAULT_EXCHANGE)
    events = re.escape(exchange) + r"(\.unrouted|\.dlx)?"
    own = re.escape(prefix + service) + r"(\.dlq|\.retry\.[0-9]+s)?"
    return {
        "configure": f"^({events}|{own})$",
        "write": f"^({events}|amq\\.default|{own})$",
        "read": f"^({events}|{own})$",
    }


async def set_database_passwords() -> None:
    parts = urlsplit(run.ADMIN_URL)
    conn = await asyncpg.connect(parts._replace(path=f"/{run.DATABASE}").geturl())
    try:
        for service in SERVICES:
            creds = credentials(service_url(service, "DATABASE"))
            if creds.user != service:
                raise SystemExit(
                    f"{service.upper()}_DATABASE_URL must log in as role {service!r} "
                    f"(deploy/postgres-roles.sql), not {creds.user!r}"
                )
            if creds.password is None:
                say(f"role {service}: no password in its URL, left unchanged")
                continue
            # format(%L) quotes the literal server-side; Postgres stores a SCRAM-SHA-256 verifier
            # (password_encryption), never the password itself.
            statement = await conn.fetchval(
                "SELECT format('ALTER ROLE %I WITH LOGIN PASSWORD %L', $1::text, $2::text)",
                service,
                creds.password,
            )
            await conn.execute(statement)
            say(f"role {service}: password set")
    finally:
        await conn.close()


async def wait_for_management(session: aiohttp.ClientSession, base: str, within: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        try:
            async with session.get(f"{base}/api/overview") as resp:
                if resp.status == 200:
                    return
                if resp.status in (401, 403):
                    raise SystemExit(f"RabbitMQ management API refused the admin ({resp.status})")
        except aiohttp.ClientError:
            pass
        if loop.time() > deadline:
            raise SystemExit(f"RabbitMQ management API at {base} did not answer in {within:.0f} s")
        await asyncio.sleep(1)


async def put(session: aiohttp.ClientSession, url: str, body: dict[str, str]) -> None:
    async with session.put(url, json=body) as resp:
        if resp.status not in (200, 201, 204):
            raise SystemExit(f"PUT {url.split('/api/')[-1]}: {resp.status} {await resp.text()}")


async def create_broker_users() -> None:
    base = os.environ.get("VRAC_RABBITMQ_MANAGEMENT_URL", "").rstrip("/")
    if not base:
        say("VRAC_RABBITMQ_MANAGEMENT_URL is empty: broker users are not managed here")
        return
    admin = aiohttp.BasicAuth(
        os.environ.get("VRAC_RABBITMQ_ADMIN_USER", ""),
        os.environ.get("VRAC_RABBITMQ_ADMIN_PASSWORD", ""),
    )
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(auth=admin, timeout=timeout) as session:
        await wait_for_management(session, base, within=120)
        for service in SERVICES:
            creds = credentials(service_url(service, "AMQP"))
            if creds.password is None:
                raise SystemExit(f"{service.upper()}_AMQP_URL has no password")
            exchange = os.environ.get(f"{service.upper()}_EVENTS_EXCHANGE", DEFAULT_EXCHANGE)
            vhost = quote(creds.vhost, safe="")
            user = quote(creds.user, safe="")
            await put(session, f"{base}/api/vhosts/{vhost}", {})
            await put(session, f"{base}/api/users/{user}", {"password": creds.password, "tags": ""})
            await put(
                session,
                f"{base}/api/permissions/{vhost}/{user}",
                broker_permissions(service, exchange),
            )
            say(f"broker user {creds.user} on vhost {creds.vhost}: ready")


def main() -> None:
    asyncio.run(run.check_postgres())
    asyncio.run(run.prepare_database())
    asyncio.run(set_database_passwords())
    say(f"database {run.DATABASE}: roles and schemas ready")
    asyncio.run(create_broker_users())
    env = dict(os.environ)
    for service in run.present_services():
        if service in SERVICES:
            run.run_step(service, "migrate", env)
            say(f"{service}: migrated")
    if os.environ.get("VRAC_SEED_DEMO", "").lower() in ("1", "true", "yes"):
        for service in run.present_services():
            if service in SERVICES:
                run.run_step(service, "seed", env)
        say("demo data seeded (VRAC_SEED_DEMO)")
    say("done")
    sys.exit(0)


if __name__ == "__main__":
    main()
