"""Replicas starting at once all run the migration runner: each migration is applied once; and
what the migrations define stays cheap to call."""

import asyncio

import asyncpg

from shared.migrations import migrate
from tests.support.infra import ROOT, database_from_template


async def test_concurrent_replicas_apply_each_migration_once(infra):
    async with database_from_template(infra[0], None, "vrac_migrate") as url:
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


SERVICES_WITH_A_SCHEMA = ("accounts", "ordering", "logistics", "notifications")


async def test_no_service_function_is_planned_again_on_every_call(infra):
    """A SQL-language function that Postgres cannot inline (it returns a composite or a set, or a
    PL/pgSQL function calls it) has its body planned again on every call; PL/pgSQL keeps each
    statement's plan for the session. During the order-close rush, ordering's four SQL helpers
    cost ~0.5 ms of planning per validation (docs/performance.md, « Plans kept »)."""
    async with database_from_template(infra[0], None, "vrac_languages") as url:
        for service in SERVICES_WITH_A_SCHEMA:
            await migrate(url, service, ROOT / "services" / service)
        conn = await asyncpg.connect(url)
        try:
            rows = await conn.fetch(
                "SELECT n.nspname, p.proname, l.lanname FROM pg_proc p"
                " JOIN pg_namespace n ON n.oid = p.pronamespace"
                " JOIN pg_language l ON l.oid = p.prolang"
                " WHERE n.nspname = ANY($1::text[])",
                list(SERVICES_WITH_A_SCHEMA),
            )
        finally:
            await conn.close()
    functions = {f"{r['nspname']}.{r['proname']}": r["lanname"] for r in rows}
    assert {"ordering.take_stock", "logistics.claim_delivery_request"} <= set(functions)
    planned_every_call = sorted(f for f, language in functions.items() if language == "sql")
    assert planned_every_call == [], planned_every_call
