"""Real Postgres and RabbitMQ for tests: from TEST_DATABASE_URL / TEST_AMQP_URL, else
testcontainers when a Docker daemon answers, else skip (fail under REQUIRE_INFRA=1)."""

import hashlib
import os
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, asynccontextmanager, contextmanager
from pathlib import Path
from typing import NoReturn

import asyncpg
import pytest

from shared.db import create_pool
from shared.migrations import migrate

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("accounts", "ordering", "logistics", "notifications", "web")


def _docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=5).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@contextmanager
def infrastructure() -> Iterator[tuple[str, str]]:
    database_url = os.environ.get("TEST_DATABASE_URL")
    amqp_url = os.environ.get("TEST_AMQP_URL")
    if database_url and amqp_url:
        yield database_url, amqp_url
        return
    if _docker_answers():
        # Imported only when a daemon answers: the module moved between releases.
        from testcontainers.postgres import PostgresContainer
        from testcontainers.rabbitmq import RabbitMqContainer

        with ExitStack() as stack:
            pg = stack.enter_context(PostgresContainer("postgres:15", driver=None))
            mq = stack.enter_context(RabbitMqContainer("rabbitmq:3.13"))
            params = mq.get_connection_params()
            yield (
                database_url or pg.get_connection_url(),
                amqp_url or f"amqp://guest:guest@{params.host}:{params.port}/",
            )
        return
    unavailable("Postgres/RabbitMQ not available: set TEST_DATABASE_URL and TEST_AMQP_URL")


def unavailable(message: str) -> NoReturn:
    """A tool or server the test needs is missing: skip, or fail under REQUIRE_INFRA=1 (CI
    installs them all, so a skip there would hide a check that no longer runs)."""
    if os.environ.get("REQUIRE_INFRA") == "1":
        pytest.fail(message)
    pytest.skip(message)


def service_dirs() -> list[tuple[str, Path]]:
    return [
        (name, ROOT / "services" / name)
        for name in SERVICES
        if (ROOT / "services" / name / "migrations").is_dir()
    ]


def migrations_fingerprint() -> str:
    digest = hashlib.sha256()
    files = sorted((ROOT / "shared" / "sql").glob("*.sql"))
    for _, directory in service_dirs():
        files += sorted((directory / "migrations").glob("*.sql"))
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def with_database(url: str, database: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{database}"


def unique_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


async def _admin_execute(admin_url: str, statement: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@asynccontextmanager
async def database_from_template(
    admin_url: str, template: str | None, prefix: str
) -> AsyncIterator[str]:
    """A new database `<prefix>_…` cloned from the migrated template (None: empty, for a test of
    the migrations themselves); its URL, dropped after."""
    name = unique_name(prefix)
    clone = "" if template is None else f' TEMPLATE "{template}"'
    await _admin_execute(admin_url, f'CREATE DATABASE "{name}"{clone}')
    try:
        yield with_database(admin_url, name)
    finally:
        await _admin_execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@asynccontextmanager
async def platform_schema(
    database_url: str, schema: str, empty_dir: Path, min_size: int = 2, max_size: int = 16
) -> AsyncIterator[asyncpg.Pool]:
    """A schema with only the platform's tables (outbox, inbox, idempotency…): the migrations of
    a service directory without any of its own; a pool on it, closed after."""
    await migrate(database_url, schema, empty_dir)
    pool = await create_pool(database_url, schema, min_size, max_size)
    try:
        yield pool
    finally:
        await pool.close()
