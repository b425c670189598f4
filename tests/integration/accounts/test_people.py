"""Sign-up, log-in, sessions, profile, memberships: SPEC.md §1 over HTTP on the real database."""

import asyncio

from tests.integration.accounts.conftest import (
    COCUS,
    SOUPETARD,
    Person,
    sign_up_and_log_in,
    signup_body,
)
from tests.support.one_query import count_of


async def test_sign_up_through_join_link_then_my_account(client):
    person = await sign_up_and_log_in(client, "sarah@example.org")
    resp = await client.get("/v1/me", headers=await person.auth())
    me = await resp.json()
    assert me["display_name"] == "VARDA Sarah"
    assert me["phone"] == "+33606060606"
    assert [m["group"]["slug"] for m in me["memberships"]] == ["3-cocus"]
    assert me["memberships"][0]["missing"] == []
    assert me["memberships"][0]["role"] == "member"


async def test_phone_written_in_any_french_way_is_stored_e164(client):
    for i, phone in enumerate(["06 06 06 06 06", "+33 6 06 06 06 06", "0033 6 06 06 06 06"]):
        person = await sign_up_and_log_in(client, f"p{i}@example.org", phone=phone)
        me = await (await client.get("/v1/me", headers=await person.auth())).json()
        assert me["phone"] == "+33606060606"


async def test_missing_phone_and_address_are_reported_for_the_group(client):
    body = signup_body("nophone@example.org")
    for field in ("phone", "street", "postcode", "city"):
        body.pop(field)
    assert (await client.post("/v1/signup", json={**body, "group_id": str(COCUS.id)})).status == 202
    resp = await client.post(
        "/v1/sessions", json={"email": body["email"], "password": body["password"]}
    )
    person = Person(client, body["email"], body["password"])
    person.session_id = (await resp.json())["session_id"]
    me = await (await client.get("/v1/me", headers=await person.auth())).json()
    assert me["memberships"][0]["missing"] == ["phone", "address"]
    resp = await client.patch(
        "/v1/me",
        headers=await person.auth(),
        json={"phone": "0607080910", "street": "1 rue X", "postcode": "31500", "city": "Toulouse"},
    )
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["memberships"][0]["missing"] == []


async def test_email_is_unique_case_insensitively_and_answer_is_the_same(client):
    first = await client.post("/v1/signup", json=signup_body("Same@Example.org"))
    again = await client.post("/v1/signup", json=signup_body("same@example.ORG", first_name="X"))
    assert first.status == again.status == 202
    assert await first.json() == await again.json()
    resp = await client.post(
        "/v1/sessions", json={"email": "SAME@example.org", "password": "un mot de passe"}
    )
    assert resp.status == 201


async def test_twenty_concurrent_sign_ups_with_one_email_make_one_account(client, database_url):
    answers = await asyncio.gather(
        *(
            client.post("/v1/signup", json=signup_body("race@example.org", first_name=f"N{i}"))
            for i in range(20)
        )
    )
    assert {a.status for a in answers} == {202}
    count = await count_of(
        database_url, "SELECT count(*) FROM accounts.users WHERE lower(email) = 'race@example.org'"
    )
    assert count == 1


async def test_wrong_password_and_unknown_email_get_the_same_answer(client):
    await sign_up_and_log_in(client, "known@example.org")
    wrong = await client.post(
        "/v1/sessions", json={"email": "known@example.org", "password": "pas le bon"}
    )
    unknown = await client.post(
        "/v1/sessions", json={"email": "nobody@example.org", "password": "pas le bon"}
    )
    assert wrong.status == unknown.status == 401
    assert (await wrong.json())["detail"] == (await unknown.json())["detail"]
    assert wrong.content_type == "application/problem+json"


async def test_log_out_really_ends_the_session(client):
    person = await sign_up_and_log_in(client, "bye@example.org")
    headers = {"Authorization": f"Session {person.session_id}"}
    assert (await client.delete("/v1/sessions/current", headers=headers)).status == 204
    resp = await client.post("/v1/sessions/current/token", headers=headers)
    assert resp.status == 401
    assert (await resp.json())["code"] == "session-ended"


async def test_log_in_is_throttled_per_account_with_retry_after(client):
    await sign_up_and_log_in(client, "target@example.org")
    for _ in range(3):
        resp = await client.post(
            "/v1/sessions", json={"email": "target@example.org", "password": "mauvais mdp"}
        )
        assert resp.status == 401
    # Even the right password is refused while throttled.
    resp = await client.post(
        "/v1/sessions", json={"email": "target@example.org", "password": "un mot de passe"}
    )
    assert resp.status == 429
    assert int(resp.headers["Retry-After"]) > 0


async def test_log_in_is_throttled_per_client_address(client):
    for i in range(6):
        resp = await client.post(
            "/v1/sessions", json={"email": f"u{i}@example.org", "password": "mauvais mdp"}
        )
        assert resp.status == 401
    resp = await client.post(
        "/v1/sessions", json={"email": "other@example.org", "password": "mauvais mdp"}
    )
    assert resp.status == 429


async def test_join_leave_and_list_my_groups(client):
    person = await sign_up_and_log_in(client, "multi@example.org")
    resp = await client.post(f"/v1/groups/{SOUPETARD.id}/members/me", headers=await person.auth())
    assert resp.status == 201
    resp = await client.post(f"/v1/groups/{SOUPETARD.id}/members/me", headers=await person.auth())
    assert resp.status == 200
    me = await (await client.get("/v1/me", headers=await person.auth())).json()
    assert sorted(m["group"]["slug"] for m in me["memberships"]) == ["3-cocus", "soupetard"]
    resp = await client.delete(f"/v1/groups/{SOUPETARD.id}/members/me", headers=await person.auth())
    assert resp.status == 204
    me = await (await client.get("/v1/me", headers=await person.auth())).json()
    assert [m["group"]["slug"] for m in me["memberships"]] == ["3-cocus"]


async def test_language_is_kept_on_the_account_and_in_the_token(client):
    import jwt

    person = await sign_up_and_log_in(client, "lang@example.org")
    resp = await client.patch("/v1/me", headers=await person.auth(), json={"language": "de"})
    assert (await resp.json())["language"] == "de"
    claims = jwt.decode(await person.token(), options={"verify_signature": False})
    assert claims["lang"] == "de"


async def test_public_group_by_slug_and_the_join_path(client):
    resp = await client.get("/v1/groups/by-slug/minguettes")
    group = await resp.json()
    assert group["name"] == "Minguettes"
    assert group["coordinator_name"] == "Joachim ROBERT"
    assert group["join_path"] == "/g/minguettes"
    assert group["phone_required"] is True and group["address_required"] is False
    assert (await client.get("/v1/groups/by-slug/nope")).status == 404


async def test_a_profile_change_touches_only_the_fields_sent(client):
    # The update is one fixed statement (repository.users.update_profile): a field not sent
    # keeps its value, `null` removes the phone, a new e-mail brings its comparison key along.
    person = await sign_up_and_log_in(client, "partiel@example.org")
    before = await (await client.get("/v1/me", headers=await person.auth())).json()
    resp = await client.patch(
        "/v1/me",
        headers=await person.auth(),
        json={"phone": None, "email": "Nouveau.Partiel@Example.org"},
    )
    assert resp.status == 200, await resp.text()
    after = await resp.json()
    changed = {"phone": None, "email": "Nouveau.Partiel@example.org"}
    assert {k: v for k, v in after.items() if k != "memberships"} == {
        **{k: v for k, v in before.items() if k != "memberships"},
        **changed,
    }
    assert after["memberships"][0]["missing"] == ["phone"]  # the group asks for one
    resp = await client.post(
        "/v1/sessions", json={"email": "NOUVEAU.partiel@example.org", "password": person.password}
    )
    assert resp.status == 201
    resp = await client.post(
        "/v1/sessions", json={"email": "partiel@example.org", "password": person.password}
    )
    assert resp.status == 401
