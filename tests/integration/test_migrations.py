"""Replicas starting at once all run the migration runner: each migration is applied once."""

import asyncio

import asyncpg

from shared.migrations import migrate
from tests.support.infra import ROOT, unique_name, with_database


async def test_concurrent_replicas_apply_each_migration_once(infra):
    admin_url = infra[0]
    name = unique_name("vrac_migrate")
    conn = await asyncpg.connect(admin_url)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    url = with_database(admin_url, name)
    try:
        service_dir = ROOT / "services" / "accounts"
        applied = await asyncio.gather(*(migrate(url, "accounts", service_dir) for _ in range(4)))
        # Exactly one replica applied everything; the others found nothing left to do.
        assert sorted(len(a) for a in applied)[:3] == [0, 0, 0]
        first = max(applied, key=len)
        assert first[0].startswith("platform/") and "0001_init.sql" in first
        conn = await asyncpg.connect(url)
        try:
            rows = await conn.fetch("SELECT name FROM accounts.schema_migrations")
        finally:
            await conn.close()
        assert sorted(r["name"] for r in rows) == sorted(first)
        assert await migrate(url, "accounts", service_dir) == []
    finally:
        conn = await asyncpg.connect(admin_url)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()
