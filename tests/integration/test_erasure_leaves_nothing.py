"""Erasure leaves nothing that points back (issue 14): a distinctive person orders, asks for
delivery, books a slot and volunteers, gets mails, then erases their account; every text, jsonb
and uuid column of every table of every service schema is then searched for their id, e-mail,
names, street and phone. Real accounts, ordering, logistics, notifications and web apps
in-process, on the test database and broker; only the dev mail sink's table is left aside."""

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from services.logistics.seed import seed_demo as seed_logistics
from shared.db import Database, create_pool
from shared.retention import purge_expired
from tests.conftest import EventSink
from tests.integration.web.conftest import Browser, Stack, running_stack, sign_up
from tests.integration.web.member_steps import ask_for_delivery, order
from tests.support.one_query import fetch_value
from tests.support.processes import free_port

SCHEMAS = ("accounts", "ordering", "logistics", "notifications")
# The development mail sink keeps whole mails on purpose (dev only, never cleaned): aside.
ASIDE = {("notifications", "sink_messages")}
PASSWORD = "un-mot-de-passe-solide"  # the one sign_up() chooses
SEARCHED_TYPES = ("text", "character varying", "character", "jsonb", "json", "uuid")


@pytest.fixture
async def apps(database_url: str, amqp_url: str, events_exchange: str) -> AsyncIterator[Stack]:
    """Every app, notifications with its mail sink and a quick sender (mails must go out)."""
    sink_port = free_port()
    async with running_stack(
        database_url,
        amqp_url,
        events_exchange,
        smtp_port=sink_port,
        mailsink_enabled=True,
        mailsink_port=sink_port,
        sender_poll_seconds=0.1,
        retry_base_seconds=0.2,
        retry_max_seconds=1.0,
    ) as stack:
        yield stack


async def columns(conn: asyncpg.Connection) -> list[tuple[str, str, str]]:
    rows = await conn.fetch(
        "SELECT table_schema, table_name, column_name FROM information_schema.columns c"
        " JOIN information_schema.tables t USING (table_schema, table_name)"
        " WHERE table_schema = ANY($1::text[]) AND t.table_type = 'BASE TABLE'"
        " AND data_type = ANY($2::text[]) ORDER BY 1, 2, 3",
        list(SCHEMAS),
        list(SEARCHED_TYPES),
    )
    return [(r[0], r[1], r[2]) for r in rows]


async def search(database_url: str, needles: dict[str, str]) -> dict[str, int]:
    """Hits per `schema.table.column [needle]`, in every searched column of every table."""
    conn = await asyncpg.connect(database_url)
    hits: dict[str, int] = {}
    try:
        for schema, table, column in await columns(conn):
            for label, needle in needles.items():
                count = await conn.fetchval(
                    f'SELECT count(*) FROM "{schema}"."{table}" WHERE "{column}"::text ILIKE $1',
                    f"%{needle}%",
                )
                if count:
                    hits[f"{schema}.{table}.{column} [{label}]"] = int(count)
    finally:
        await conn.close()
    return hits


def outside_sink(hits: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in hits.items() if tuple(k.split(".")[:2]) not in ASIDE}


async def wait_until(predicate: Any, seconds: float = 30.0, what: str = "") -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


async def settled(database_url: str, sink: EventSink, quiet: float = 2.0) -> None:
    """Every outbox published and no new event for `quiet` seconds, no mail still pending."""
    conn = await asyncpg.connect(database_url)
    try:
        seen, since = -1, asyncio.get_running_loop().time()
        deadline = since + 60
        while True:
            backlog = 0
            for schema in SCHEMAS:
                backlog += await conn.fetchval(
                    f'SELECT count(*) FROM "{schema}".outbox WHERE published_at IS NULL'
                )
            backlog += await conn.fetchval(
                "SELECT count(*) FROM notifications.email_outbox WHERE status = 'pending'"
            )
            now = asyncio.get_running_loop().time()
            if len(sink.events) != seen or backlog:
                seen, since = len(sink.events), now
            elif now - since >= quiet:
                return
            assert now < deadline, f"never settled (backlog {backlog})"
            await asyncio.sleep(0.2)
    finally:
        await conn.close()


async def volunteer(apps: Stack, browser: Browser, path: str, requester: str) -> None:
    """Book the first slot, offer to deliver, claim the request of `requester` (a first name)."""
    deadline = asyncio.get_running_loop().time() + 20
    while 'name="slot_id"' not in (page := await browser.get(f"{path}/retrait")).text:
        assert asyncio.get_running_loop().time() < deadline, "no slots"
        await asyncio.sleep(0.3)
    slot = re.search(r'name="slot_id" id="s-([0-9a-f-]+)"', page.text) or re.search(
        r'id="s-([0-9a-f-]+)"', page.text
    )
    assert slot, page.visible_text()[:500]
    page = await browser.post(f"{path}/creneau", {"slot_id": slot.group(1)})
    assert "Votre créneau de passage est enregistré." in page, page.visible_text()[:500]
    page = await browser.post(f"{path}/retrait", {"choice": "can_deliver"})
    found = re.search(
        rf"{re.escape(requester)}.*?/demandes/([0-9a-f-]+)\"", page.text, flags=re.S
    ) or re.search(r'/demandes/([0-9a-f-]+)"', page.text)
    assert found and requester in page, page.visible_text()[:800]
    page = await browser.post(f"{path}/demandes/{found.group(1)}", {})
    assert "les coordonnées ont été envoyées par e-mail" in page, page.visible_text()[:500]


async def test_erasure_leaves_nothing_that_points_back(
    apps: Stack, event_sink: EventSink, capsys: pytest.CaptureFixture[str]
) -> None:
    tag = uuid.uuid4().hex[:6]
    first, last = f"Quirinella{tag}", f"Vantongerloo{tag}"
    email = f"q.vantongerloo.{tag}@example.org"
    street = f"17 impasse des Quenouilles {tag}"
    digits = f"06{int(tag, 16) % 10**8:08d}"
    spaced = " ".join(digits[i : i + 2] for i in range(0, 10, 2))
    person, helper, neighbour = await apps.browser(), await apps.browser(), await apps.browser()
    try:
        await person.get("/inscription?groupe=3-cocus")
        details = {"phone": spaced, "street": street, "postcode": "31200", "city": "Toulouse"}
        page = await person.post(
            "/inscription?groupe=3-cocus",
            {"first_name": first, "last_name": last, "email": email, "password": PASSWORD}
            | details,
        )
        assert page.status == 200 and "/inscription" not in page.path, page.visible_text()[:300]
        cocus = await order(person)
        await ask_for_delivery(person, cocus, digits, street)
        # Someone delivers her: the pairing mail holds her name, street and phone.
        await sign_up(helper, f"helper.{tag}@example.org", first_name="Aurore", last_name="Lebon")
        helper_path = await order(helper)
        await seed_logistics(apps.logistics_settings)
        await volunteer(apps, helper, helper_path, first)
        # In a second group she books a slot and delivers someone.
        await sign_up(
            neighbour,
            f"neighbour.{tag}@example.org",
            first_name="Basile",
            last_name="Roux",
            slug="bellefontaine",
        )
        other = await order(neighbour, slug="bellefontaine")
        await ask_for_delivery(neighbour, other, "0622222222", "8 rue Voisine")
        await person.post("/g/bellefontaine/rejoindre", {})
        mine = await order(person, slug="bellefontaine")
        await volunteer(apps, person, mine, "Basile")
        await settled(apps.database_url, event_sink)
        me = await person.get("/compte/donnees")
        assert me.status == 200

        user_id = await fetch_value(
            apps.database_url, "SELECT id FROM accounts.users WHERE email = $1", email
        )
        assert user_id is not None
        needles = {
            "user id": str(user_id),
            "e-mail": email,
            "first name": first,
            "last name": last,
            "street": street,
            "phone": digits,
            "phone (spaced)": spaced,
            "phone (+33)": "+33" + digits[1:],
        }
        before = await search(apps.database_url, needles)

        await person.get("/compte/supprimer")
        page = await person.post(
            "/compte/supprimer", {"password": PASSWORD, "confirm": "yes", "next": ""}
        )
        assert page.path == "/?compte=supprime", page.visible_text()[:300]
        (erased,) = await event_sink.wait_for(1, type_="accounts.user.erased.v1")
        conn = await asyncpg.connect(apps.database_url)
        try:

            async def handled_everywhere() -> bool:
                for schema in ("ordering", "logistics", "notifications"):
                    found = await conn.fetchval(
                        f"SELECT 1 FROM {schema}.inbox WHERE event_id = $1",
                        uuid.UUID(erased["id"]),
                    )
                    if not found:
                        return False
                return True

            await wait_until(handled_everywhere, what="accounts.user.erased.v1 everywhere")
        finally:
            await conn.close()
        await settled(apps.database_url, event_sink)
        after_erasure = outside_sink(await search(apps.database_url, needles))

        # What the retention job removes once no token issued before the erasure lives: the
        # ended memberships (shared.revocations.HORIZON_SECONDS), here without the wait.
        for schema in SCHEMAS:
            pool = await create_pool(apps.database_url, schema, 1, 1)
            try:
                await purge_expired(Database(pool, 1), 7 * 24 * 3600.0, revocation_seconds=0.0)
            finally:
                await pool.close()
        after = outside_sink(await search(apps.database_url, needles))
    finally:
        for b in (person, helper, neighbour):
            await b.close()

    with capsys.disabled():
        print("\nERASURE SEARCH: hits per schema.table.column [needle]")
        for key in sorted(set(before) | set(after_erasure) | set(after)):
            print(
                f"  {key}: before={before.get(key, 0)}"
                f" after_erasure={after_erasure.get(key, 0)} after_horizon={after.get(key, 0)}"
            )
        print(
            f"ERASURE SEARCH: columns searched={len(await _column_count(apps.database_url))}"
            f" hits before={sum(before.values())} after_erasure={sum(after_erasure.values())}"
            f" after_horizon={sum(after.values())} (sink_messages aside)"
        )
    # Right after the erasure, only the ended memberships (kept while a token may live).
    assert {k.split(" ")[0] for k in after_erasure} <= {
        f"{s}.membership_revocations.user_id" for s in SCHEMAS
    }, after_erasure
    assert after == {}, after


async def _column_count(database_url: str) -> list[tuple[str, str, str]]:
    conn = await asyncpg.connect(database_url)
    try:
        return await columns(conn)
    finally:
        await conn.close()
