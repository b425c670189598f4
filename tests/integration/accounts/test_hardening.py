"""Issue 11 on accounts: the default service secret (2), control characters in text fields (6),
access ending at once when a member leaves a group (9)."""

from typing import Any

import pytest
from structlog.testing import capture_logs

from services.accounts.bootstrap import build_app
from services.accounts.keys import SETTINGS_KEY
from shared.demo import DEMO_ADMIN_EMAIL, DEMO_PASSWORD
from shared.settings import DEFAULT_SERVICE_SECRET
from tests.integration.accounts.conftest import (
    COCUS,
    SOUPETARD,
    Person,
    sign_up_and_log_in,
    signup_body,
)
from tests.integration.accounts.test_security import count_users

# --- 2. the default service secret -------------------------------------------------------------


async def ask_service_token(client: Any, secret: str) -> Any:
    return await client.post("/v1/service-tokens", json={"service": "web", "secret": secret})


async def test_the_default_secret_gets_no_service_token_outside_dev_mode(client_for):
    async with client_for(service_secret=DEFAULT_SERVICE_SECRET, dev_mode=False) as client:
        resp = await ask_service_token(client, DEFAULT_SERVICE_SECRET)
        assert resp.status == 403
        assert resp.content_type == "application/problem+json"
        body = await resp.json()
        assert body["code"] == "default-service-secret" and "access_token" not in body
        assert (await ask_service_token(client, "wrong")).status == 401


async def test_the_default_secret_still_works_in_dev_mode(client_for):
    async with client_for(service_secret=DEFAULT_SERVICE_SECRET, dev_mode=True) as client:
        assert (await ask_service_token(client, DEFAULT_SERVICE_SECRET)).status == 200


async def test_the_default_secret_is_logged_as_an_error_outside_dev_mode(accounts_settings):
    for dev_mode, expected in ((False, ["error"]), (True, [])):
        settings = accounts_settings.model_copy(
            update={"service_secret": DEFAULT_SERVICE_SECRET, "dev_mode": dev_mode}
        )
        with capture_logs() as logs:
            await build_app(settings)
        found = [e["log_level"] for e in logs if e["event"] == "service_secret_default"]
        assert found == expected, logs


# --- 6. control characters in every text field --------------------------------------------------

# Long enough to pass every length rule: only the character is wrong.
BAD = [f"assez long{c}pour passer" for c in ("\x00", "\x07", "\ud800", "\u202e")]


async def admin_headers(client: Any) -> dict[str, str]:
    admin = Person(client, DEMO_ADMIN_EMAIL, DEMO_PASSWORD)
    resp = await client.post("/v1/sessions", json={"email": admin.email, "password": DEMO_PASSWORD})
    admin.session_id = (await resp.json())["session_id"]
    return await admin.auth()


def assert_names_field(status: int, body: dict[str, Any], field: str) -> None:
    assert status == 422, body
    assert any(e["field"] == field for e in body["errors"]), body


@pytest.mark.parametrize("bad", BAD, ids=repr)
@pytest.mark.parametrize(
    "field", ["email", "first_name", "last_name", "street", "city", "phone", "postcode", "password"]
)
async def test_sign_up_refuses_control_characters(client, field, bad):
    before = await count_users(client)
    body = {**signup_body(f"x{field}@example.org"), field: bad}
    resp = await client.post("/v1/signup", json=body)
    assert_names_field(resp.status, await resp.json(), field)
    assert await count_users(client) == before


@pytest.mark.parametrize("bad", BAD, ids=repr)
@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/v1/sessions", "email"),
        ("/v1/password-resets", "email"),
        ("/v1/password-resets/confirm", "token"),
        ("/v1/service-tokens", "secret"),
    ],
)
async def test_public_forms_refuse_control_characters(client, path, field, bad):
    body = {
        "/v1/sessions": {"email": "someone@example.org", "password": "un mot de passe"},
        "/v1/password-resets": {"email": "someone@example.org"},
        "/v1/password-resets/confirm": {"token": "x" * 20, "new_password": "un mot de passe"},
        "/v1/service-tokens": {"service": "web", "secret": "test-secret"},
    }[path]
    resp = await client.post(path, json={**body, field: bad})
    assert_names_field(resp.status, await resp.json(), field)


@pytest.mark.parametrize("bad", BAD, ids=repr)
@pytest.mark.parametrize("field", ["first_name", "email", "street", "city"])
async def test_profile_changes_refuse_control_characters(client, field, bad):
    person = await sign_up_and_log_in(client, "profile@example.org")
    resp = await client.patch("/v1/me", headers=await person.auth(), json={field: bad})
    assert_names_field(resp.status, await resp.json(), field)
    me = await (await client.get("/v1/me", headers=await person.auth())).json()
    assert me["email"] == "profile@example.org" and me["city"] == "Toulouse"


@pytest.mark.parametrize("bad", BAD, ids=repr)
@pytest.mark.parametrize(
    "field", ["slug", "name", "city", "coordinator_name", "coordinator_email", "contact_email"]
)
async def test_groups_refuse_control_characters(client, field, bad):
    headers = await admin_headers(client)
    groups = len((await (await client.get("/v1/groups")).json())["groups"])
    body = {"slug": "nouveau", "name": "Nouveau", "city": "Lyon", field: bad}
    resp = await client.post("/v1/groups", headers=headers, json=body)
    assert_names_field(resp.status, await resp.json(), field)
    assert len((await (await client.get("/v1/groups")).json())["groups"]) == groups
    if field != "slug":
        resp = await client.patch(f"/v1/groups/{COCUS.id}", headers=headers, json={field: bad})
        assert_names_field(resp.status, await resp.json(), field)
    assert (await (await client.get(f"/v1/groups/by-slug/{COCUS.slug}")).json())["name"] == (
        COCUS.name
    )


@pytest.mark.parametrize("slug", ["a%00b", "3-cocus%00", "%C0%80", "%ED%A0%80", "x" * 300])
async def test_a_bad_slug_in_the_path_is_not_found(client, slug):
    resp = await client.get(f"/v1/groups/by-slug/{slug}")
    assert resp.status == 404
    assert resp.content_type == "application/problem+json"


# --- 9. leaving a group ends access at once -----------------------------------------------------


async def test_a_member_who_left_is_refused_at_once_with_the_old_token(client):
    person = await sign_up_and_log_in(client, "leaver@example.org")
    await client.post(f"/v1/groups/{SOUPETARD.id}/members/me", headers=await person.auth())
    old = await person.auth()  # names SOUPETARD as a group of the member, valid 15 minutes
    assert (await client.get(f"/v1/groups/{SOUPETARD.id}", headers=old)).status == 200
    assert (
        await client.delete(f"/v1/groups/{SOUPETARD.id}/members/me", headers=await person.auth())
    ).status == 204
    for method in ("GET", "DELETE"):
        path = f"/v1/groups/{SOUPETARD.id}" + ("" if method == "GET" else "/members/me")
        resp = await client.request(method, path, headers=old)
        assert resp.status == 403, (method, resp.status)
        assert resp.content_type == "application/problem+json"
    assert (await client.get(f"/v1/groups/{COCUS.id}", headers=old)).status == 200


async def test_a_coordinator_who_left_no_longer_reads_the_members(client):
    coordinator = Person(client, COCUS.coordinator_email, DEMO_PASSWORD)
    resp = await client.post(
        "/v1/sessions", json={"email": coordinator.email, "password": DEMO_PASSWORD}
    )
    coordinator.session_id = (await resp.json())["session_id"]
    old = await coordinator.auth()
    assert (await client.get(f"/v1/groups/{COCUS.id}/members", headers=old)).status == 200
    resp = await client.delete(f"/v1/groups/{COCUS.id}/members/me", headers=old)
    assert resp.status == 204
    resp = await client.get(f"/v1/groups/{COCUS.id}/members", headers=old)
    assert resp.status == 403
    assert client.server.app[SETTINGS_KEY].dev_mode is False
