"""Log-in and reset throttling (issue 11: 4, 5, 7): per real client address, one normalised
e-mail key, reset mails bounded, the owner's way back in, keys stored as HMACs and forgotten."""

import asyncio
from typing import Any

import asyncpg
import pytest

from services.accounts.keys import SETTINGS_KEY
from tests.integration.accounts.conftest import sign_up_and_log_in

WRONG = "mauvais mdp"
RIGHT = "un mot de passe"  # signup_body's password


async def log_in(client: Any, email: str, password: str = WRONG, **headers: str) -> int:
    resp = await client.post(
        "/v1/sessions", json={"email": email, "password": password}, headers=headers
    )
    await resp.read()
    return int(resp.status)


async def spend_address_budget(client: Any, tag: str, **headers: str) -> None:
    """The fixture allows 6 failures per client address (each on a fresh account key)."""
    for i in range(6):
        assert await log_in(client, f"{tag}{i}@example.org", **headers) == 401


async def service_token(client: Any) -> str:
    resp = await client.post("/v1/service-tokens", json={"service": "web", "secret": "test-secret"})
    assert resp.status == 200, await resp.text()
    return str((await resp.json())["access_token"])


async def db_fetch(client: Any, query: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(client.server.app[SETTINGS_KEY].database_url)
    try:
        await conn.execute("SET search_path TO accounts")
        return list(await conn.fetch(query, *args))
    finally:
        await conn.close()


# --- 4. the real client address ---------------------------------------------------------------


async def test_two_clients_behind_a_chain_of_trusted_proxies_get_separate_budgets(client_for):
    # The load balancer (10.0.0.5) appends the client; the peer (127.0.0.1) is the web tier.
    async with client_for(trusted_proxies=["127.0.0.1/32", "10.0.0.0/8"]) as client:
        first = {"X-Forwarded-For": "203.0.113.1, 10.0.0.5"}
        second = {"X-Forwarded-For": "203.0.113.2, 10.0.0.5"}
        await spend_address_budget(client, "a", **first)
        assert await log_in(client, "a-next@example.org", **first) == 429
        assert await log_in(client, "b-next@example.org", **second) == 401
        # A client cannot pick its address by writing one more entry on the left.
        spoofed = {"X-Forwarded-For": "198.51.100.9, 203.0.113.1, 10.0.0.5"}
        assert await log_in(client, "c-next@example.org", **spoofed) == 429


async def test_x_forwarded_for_from_an_untrusted_peer_is_ignored(client_for):
    async with client_for(trusted_proxies=["10.0.0.0/8"]) as client:
        for i in range(6):
            header = {"X-Forwarded-For": f"203.0.113.{i}"}
            assert await log_in(client, f"u{i}@example.org", **header) == 401
        assert await log_in(client, "u9@example.org", **{"X-Forwarded-For": "203.0.113.99"}) == 429


async def test_the_web_forwards_the_member_address_with_its_service_token(client):
    token = await service_token(client)
    first = {"X-Client-Address": "198.51.100.1", "X-Service-Token": token}
    await spend_address_budget(client, "w", **first)
    assert await log_in(client, "w-next@example.org", **first) == 429
    second = {"X-Client-Address": "198.51.100.2", "X-Service-Token": token}
    assert await log_in(client, "x-next@example.org", **second) == 401


@pytest.mark.parametrize(
    "token", ["", "not-a-token", "eyJhbGciOiJFZERTQSJ9.e30.AAAA", "member"], ids=repr
)
async def test_x_client_address_without_a_valid_service_token_is_ignored(client, token):
    if token == "member":  # a member's own access token is not a service's
        person = await sign_up_and_log_in(client, "member@example.org")
        token = await person.token()
    for i in range(6):
        headers = {"X-Client-Address": f"198.51.100.{i}", "X-Service-Token": token}
        assert await log_in(client, f"v{i}@example.org", **headers) == 401
    headers = {"X-Client-Address": "198.51.100.77", "X-Service-Token": token}
    assert await log_in(client, "v-next@example.org", **headers) == 429


async def test_a_bad_x_client_address_is_ignored(client):
    token = await service_token(client)
    for value in ("not-an-address", "1.2.3.4, 5.6.7.8", "999.1.1.1", "x" * 300):
        headers = {"X-Client-Address": value, "X-Service-Token": token}
        assert await log_in(client, "bad-address@example.org", **headers) in (401, 429)


# --- 5. one normalised e-mail ----------------------------------------------------------------


SPELLINGS = [
    ("tim@example.org", ["TİM@example.org", "tİm@example.org", "ＴＩＭ@example.org"]),
    ("gross@example.org", ["groß@example.org", "GROẞ@example.org", "GROSS@EXAMPLE.ORG"]),
    ("ｆｕｌｌ@example.org", ["full@example.org", "FULL@example.org", "Ｆｕｌｌ@example.org"]),
]


@pytest.mark.parametrize(("account", "variants"), SPELLINGS)
async def test_no_spelling_of_a_locked_account_gets_a_fresh_budget(client, account, variants):
    await sign_up_and_log_in(client, account, join=None)
    for _ in range(3):
        assert await log_in(client, account) == 401
    for spelling in variants:
        # The right password under another spelling: never a way into the locked account.
        assert await log_in(client, spelling, RIGHT) != 201, spelling


@pytest.mark.parametrize(("account", "variants"), SPELLINGS[1:])
async def test_failures_under_any_spelling_count_for_the_account(client, account, variants):
    await sign_up_and_log_in(client, account, join=None)
    for variant in variants:
        assert await log_in(client, variant) == 401
    assert await log_in(client, account, RIGHT) == 429


async def test_a_spelling_that_is_another_address_does_not_reach_the_account(client):
    await sign_up_and_log_in(client, "tim@example.org", join=None)
    # "İ" folds to "i̇" (i + combining dot), not "i": another address, not Tim's account.
    assert await log_in(client, "TİM@example.org", RIGHT) == 401
    assert await log_in(client, "ＴＩＭ@EXAMPLE.ORG", RIGHT) == 201


# --- 7. reset mails, the owner's way back in, what is stored ---------------------------------


async def test_at_most_three_reset_mails_an_hour_per_address(client, event_sink):
    person = await sign_up_and_log_in(client, "flood@example.org", join=None)
    answers = await asyncio.gather(
        *[
            client.post("/v1/password-resets", json={"email": e})
            for e in ["flood@example.org", "FLOOD@example.org", "ｆｌｏｏｄ@example.org"] * 7
        ]
    )
    assert [a.status for a in answers] == [202] * 21
    assert len({await a.text() for a in answers}) == 1  # the same answer whatever happened
    rows = await db_fetch(
        client, "SELECT count(*) AS n FROM password_resets WHERE user_id = $1", person.user_id
    )
    assert rows[0]["n"] == 3
    await event_sink.wait_for(3, type_="accounts.password_reset.requested.v1")
    await asyncio.sleep(0.5)  # a fourth would have arrived by now (printed, not timed)
    resets = [e for e in event_sink.events if e["type"].startswith("accounts.password_reset")]
    print(f"reset requests=21 mails requested={len(resets)}")
    assert len(resets) == 3


async def confirm_a_reset(client: Any, event_sink: Any, email: str, new_password: str) -> None:
    resp = await client.post("/v1/password-resets", json={"email": email})
    assert resp.status == 202
    [event] = await event_sink.wait_for(1, type_="accounts.password_reset.requested.v1")
    svc = {"Authorization": f"Bearer {await service_token(client)}"}
    resp = await client.get(f"/internal/password-resets/{event['data']['reset_id']}", headers=svc)
    token = (await resp.json())["token"]
    resp = await client.post(
        "/v1/password-resets/confirm", json={"token": token, "new_password": new_password}
    )
    assert resp.status == 204


async def test_a_password_reset_lets_the_locked_out_owner_back_in(client, event_sink):
    await sign_up_and_log_in(client, "locked@example.org", join=None)
    for _ in range(3):
        assert await log_in(client, "locked@example.org") == 401
    assert await log_in(client, "locked@example.org", RIGHT) == 429
    await confirm_a_reset(client, event_sink, "LOCKED@example.org", "tout nouveau mdp")
    assert await log_in(client, "locked@example.org", "tout nouveau mdp") == 201


async def test_throttle_keys_are_hmacs_and_old_rows_are_forgotten(client):
    from services.accounts.throttle import forget_old_attempts

    for header in ("203.0.113.10", "2001:db8::1"):
        assert (
            await log_in(client, "secret-person@example.org", **{"X-Forwarded-For": header}) == 401
        )
    rows = await db_fetch(client, "SELECT throttle_key FROM login_failures")
    assert len(rows) == 4
    for row in rows:
        key = row["throttle_key"]
        assert "example" not in key and "203.0.113" not in key and "2001" not in key, key
        assert len(key) == 64 and int(key, 16) >= 0  # hex HMAC-SHA256
    database_url = client.server.app[SETTINGS_KEY].database_url
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("SET search_path TO accounts")
        await conn.execute("UPDATE login_failures SET failed_at = now() - interval '16 minutes'")
        await conn.execute("INSERT INTO login_failures (throttle_key) VALUES ('recent')")
        removed = await forget_old_attempts(conn, client.server.app[SETTINGS_KEY])
        assert removed >= 4
        assert [r["throttle_key"] for r in await conn.fetch("SELECT * FROM login_failures")] == [
            "recent"
        ]
    finally:
        await conn.close()
