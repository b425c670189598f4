"""Plain-SQL migrations, applied in order under an advisory lock so replicas can start at once."""

import hashlib
from pathlib import Path

import asyncpg

from shared.logging import get_logger

PLATFORM_SQL = Path(__file__).parent / "sql"
log = get_logger(__name__)


def _lock_key(schema: str) -> int:
    return int.from_bytes(
        hashlib.sha256(f"migrate:{schema}".encode()).digest()[:8], "big", signed=True
    )


def migration_files(service_dir: Path) -> list[tuple[str, Path]]:
    platform = [(f"platform/{p.name}", p) for p in sorted(PLATFORM_SQL.glob("*.sql"))]
    own = [(p.name, p) for p in sorted((service_dir / "migrations").glob("*.sql"))]
    return platform + own


async def migrate(dsn: str, schema: str, service_dir: Path) -> list[str]:
    """Apply pending migrations into `schema`; returns the names applied now."""
    conn = await asyncpg.connect(dsn)
    applied_now: list[str] = []
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", _lock_key(schema))
        try:
            # A service role owns its schema but may not create schemas: only create if missing.
            if not await conn.fetchval("SELECT 1 FROM pg_namespace WHERE nspname = $1", schema):
                await conn.execute(f'CREATE SCHEMA "{schema}"')
            await conn.execute(f'SET search_path TO "{schema}", public')
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")}
            for name, path in migration_files(service_dir):
                if name in done:
                    continue
                async with conn.transaction():
                    await conn.execute(path.read_text())
                    await conn.execute("INSERT INTO schema_migrations (name) VALUES ($1)", name)
                applied_now.append(name)
                log.info("migration_applied", schema=schema, migration=name)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _lock_key(schema))
    finally:
        await conn.close()
    return applied_now
