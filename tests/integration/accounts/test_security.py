"""Bad input, tenant isolation, resets, personal data and internal access of accounts."""

import uuid

import pytest

from shared.demo import DEMO_ADMIN_EMAIL, DEMO_PASSWORD
from tests.integration.accounts.conftest import (
    COCUS,
    SOUPETARD,
    Person,
    sign_up_and_log_in,
    signup_body,
)
from tests.support.one_query import count_of


async def count_users(client) -> int:
    from services.accounts.keys import SETTINGS_KEY

    database_url = client.server.app[SETTINGS_KEY].database_url
    return await count_of(database_url, "SELECT count(*) FROM accounts.users")


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        (b"{not json", 400, "malformed-json"),
        (b"[1, 2]", 400, "malformed-json"),
        (b'{"first_name": "A"}', 422, "invalid-input"),
        (b"x" * 70_000, 413, "body-too-large"),
    ],
)
async def test_malformed_bodies_get_problem_json(client, raw, status, code):
    before = await count_users(client)
    resp = await client.post("/v1/signup", data=raw, headers={"Content-Type": "application/json"})
    assert resp.status == status
    assert resp.content_type == "application/problem+json"
    body = await resp.json()
    assert body["code"] == code and body["detail"] and body["detail_en"]
    assert await count_users(client) == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "pas-un-email"),
        ("email", "a@b\n.fr"),
        ("phone", "12"),
        ("phone", "06 06 06"),
        ("postcode", "3100"),
        ("postcode", "ABCDE"),
        ("password", "court"),
        ("password", "x" * 129),
        ("first_name", ""),
        ("first_name", 42),
        ("language", "es"),
        ("unknown_field", "x"),
    ],
)
async def test_invalid_sign_up_fields_are_named_and_nothing_is_created(client, field, value):
    before = await count_users(client)
    body = {**signup_body("bad@example.org"), field: value}
    resp = await client.post("/v1/signup", json=body)
    assert resp.status == 422, await resp.text()
    body = await resp.json()
    assert any(err["field"].startswith(field) for err in body["errors"]), body
    assert await count_users(client) == before


async def test_passwords_of_64_characters_are_accepted(client):
    person = await sign_up_and_log_in(client, "long@example.org", password="p" * 64)
    assert person.session_id


async def test_another_groups_data_is_out_of_reach(client):
    member = await sign_up_and_log_in(client, "cocus@example.org")
    headers = await member.auth()
    assert (await client.get(f"/v1/groups/{COCUS.id}", headers=headers)).status == 200
    for method, path in [
        ("GET", f"/v1/groups/{SOUPETARD.id}"),
        ("GET", f"/v1/groups/{SOUPETARD.id}/members"),
        ("DELETE", f"/v1/groups/{SOUPETARD.id}/members/me"),
        ("GET", f"/v1/groups/{COCUS.id}/members"),  # members list: coordinators only
        ("PUT", f"/v1/groups/{COCUS.id}/coordinators/{member.user_id}"),
        ("POST", "/v1/groups"),
        ("GET", f"/internal/users/{member.user_id}/contact"),
        ("GET", f"/internal/groups/{COCUS.id}/members"),
    ]:
        resp = await client.request(method, path, headers=headers, json={})
        assert resp.status == 403, (method, path, resp.status)
        assert resp.content_type == "application/problem+json"


async def test_coordinator_sees_own_group_members_only(client):
    coordinator = Person(client, COCUS.coordinator_email, DEMO_PASSWORD)
    resp = await client.post(
        "/v1/sessions", json={"email": coordinator.email, "password": DEMO_PASSWORD}
    )
    coordinator.session_id = (await resp.json())["session_id"]
    await sign_up_and_log_in(client, "m1@example.org")
    resp = await client.get(f"/v1/groups/{COCUS.id}/members", headers=await coordinator.auth())
    names = [m["display_name"] for m in (await resp.json())["members"]]
    assert "VARDA Sarah" in names
    resp = await client.get(f"/v1/groups/{SOUPETARD.id}/members", headers=await coordinator.auth())
    assert resp.status == 403


async def test_requests_without_or_with_a_forged_token_are_refused(client):
    assert (await client.get("/v1/me")).status == 401
    forged = {"Authorization": "Bearer eyJhbGciOiJFZERTQSJ9.e30.AAAA"}
    assert (await client.get("/v1/me", headers=forged)).status == 401
    resp = await client.get(f"/v1/groups/{uuid.uuid4()}", headers=forged)
    assert resp.status == 401
    resp = await client.get("/v1/groups/not-a-uuid", headers=forged)
    assert resp.status in (401, 404)


async def test_admin_creates_a_group_and_names_a_coordinator(client):
    admin = Person(client, DEMO_ADMIN_EMAIL, DEMO_PASSWORD)
    resp = await client.post("/v1/sessions", json={"email": admin.email, "password": DEMO_PASSWORD})
    admin.session_id = (await resp.json())["session_id"]
    resp = await client.post(
        "/v1/groups",
        headers=await admin.auth(),
        json={"slug": "empalot", "name": "Empalot", "city": "Toulouse", "phone_required": True},
    )
    assert resp.status == 201, await resp.text()
    group = await resp.json()
    resp = await client.post(
        "/v1/groups",
        headers=await admin.auth(),
        json={"slug": "empalot", "name": "Empalot", "city": "Toulouse"},
    )
    assert resp.status == 409
    member = await sign_up_and_log_in(client, "future@example.org", join=None)
    await client.post(f"/v1/groups/{group['id']}/members/me", headers=await member.auth())
    # The admin, not a member of the group, reads its members to choose the coordinator.
    resp = await client.get(f"/v1/groups/{group['id']}/members", headers=await admin.auth())
    assert resp.status == 200
    assert [m["user_id"] for m in (await resp.json())["members"]] == [str(member.user_id)]
    resp = await client.put(
        f"/v1/groups/{group['id']}/coordinators/{member.user_id}", headers=await admin.auth()
    )
    assert resp.status == 204
    me = await (await client.get("/v1/me", headers=await member.auth())).json()
    assert me["memberships"][0]["role"] == "coordinator"


async def service_headers(client) -> dict[str, str]:
    resp = await client.post(
        "/v1/service-tokens", json={"service": "notifications", "secret": "test-secret"}
    )
    assert resp.status == 200
    return {"Authorization": f"Bearer {(await resp.json())['access_token']}"}


async def test_service_token_reads_contact_details(client):
    assert (
        await client.post(
            "/v1/service-tokens", json={"service": "notifications", "secret": "wrong"}
        )
    ).status == 401
    person = await sign_up_and_log_in(client, "contact@example.org")
    resp = await client.get(
        f"/internal/users/{person.user_id}/contact", headers=await service_headers(client)
    )
    contact = await resp.json()
    assert contact["email"] == "contact@example.org"
    assert contact["phone"] == "+33606060606"
    assert contact["postcode"] == "31200"


async def test_password_reset_flow_without_the_secret_in_events(client, event_sink):
    person = await sign_up_and_log_in(client, "oubli@example.org")
    for email in ("oubli@example.org", "inconnu@example.org"):
        resp = await client.post("/v1/password-resets", json={"email": email})
        assert resp.status == 202
    [event] = await event_sink.wait_for(1, type_="accounts.password_reset.requested.v1")
    assert set(event["data"]) == {"reset_id", "user_id", "language"}
    reset_id = event["data"]["reset_id"]
    headers = await service_headers(client)
    resp = await client.get(f"/internal/password-resets/{reset_id}", headers=headers)
    token = (await resp.json())["token"]
    assert (
        await client.get(f"/internal/password-resets/{reset_id}", headers=headers)
    ).status == 404
    resp = await client.post(
        "/v1/password-resets/confirm", json={"token": token, "new_password": "nouveau mot de passe"}
    )
    assert resp.status == 204
    # Every session ended; the old password no longer works; the link cannot be reused.
    resp = await client.post(
        "/v1/sessions/current/token", headers={"Authorization": f"Session {person.session_id}"}
    )
    assert resp.status == 401
    resp = await client.post(
        "/v1/sessions", json={"email": person.email, "password": "nouveau mot de passe"}
    )
    assert resp.status == 201
    resp = await client.post(
        "/v1/password-resets/confirm", json={"token": token, "new_password": "encore un autre"}
    )
    assert resp.status == 404


async def test_export_then_erase_removes_the_person(client, event_sink):
    person = await sign_up_and_log_in(client, "rgpd@example.org")
    resp = await client.get("/v1/me/export", headers=await person.auth())
    export = await resp.json()
    assert export["profile"]["email"] == "rgpd@example.org"
    assert "password_hash" not in export["profile"]
    assert export["memberships"][0]["slug"] == "3-cocus"
    headers = await person.auth()
    resp = await client.post("/v1/me/erase", headers=headers, json={"password": "faux mdp!"})
    assert resp.status == 403
    resp = await client.post("/v1/me/erase", headers=headers, json={"password": person.password})
    assert resp.status == 204
    [event] = await event_sink.wait_for(1, type_="accounts.user.erased.v1")
    assert event["data"] == {"user_id": person.user_id, "group_ids": [str(COCUS.id)]}
    resp = await client.get(
        f"/internal/users/{person.user_id}/contact", headers=await service_headers(client)
    )
    assert resp.status == 404
    resp = await client.post(
        "/v1/sessions", json={"email": person.email, "password": person.password}
    )
    assert resp.status == 401


async def test_health_readiness_metrics_and_openapi(client):
    assert (await client.get("/healthz")).status == 200
    ready = await client.get("/readyz")
    assert ready.status == 200, await ready.text()
    # An `all` process is ready while its database works; the broker is a worker's concern.
    assert await ready.json() == {"status": "ready", "role": "all", "checks": {"database": True}}
    metrics = await (await client.get("/metrics")).text()
    assert "http_requests_total" in metrics
    spec = await (await client.get("/openapi.json")).json()
    assert spec["openapi"].startswith("3.1")
    assert "/v1/signup" in spec["paths"]
    assert "SignUp" in spec["components"]["schemas"]
    assert (await client.get("/nowhere")).content_type == "application/problem+json"


async def test_jwks_verifies_the_issued_tokens(client):
    from shared.auth import TokenVerifier

    person = await sign_up_and_log_in(client, "jwks@example.org")
    verifier = TokenVerifier(jwks_url=str(client.make_url("/.well-known/jwks.json")))
    principal = await verifier.verify(await person.token())
    assert str(principal.user_id) == person.user_id
    assert principal.role_in(COCUS.id) == "member"
    assert principal.role_in(SOUPETARD.id) is None
