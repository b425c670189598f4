"""`PATCH /v1/groups/{group_id}`: an association admin corrects a group (SPEC.md §1.5) on the real
database; the join link (slug) never changes, anybody else is refused, a refusal changes nothing."""

import uuid
from typing import Any

from shared.demo import DEMO_ADMIN_EMAIL, DEMO_PASSWORD
from tests.integration.accounts.conftest import COCUS, Person, sign_up_and_log_in

MINGUETTES_SLUG = "minguettes"


async def log_in_demo(client: Any, email: str = DEMO_ADMIN_EMAIL) -> Person:
    """A person of the demo data (the association's admin unless told), logged in."""
    person = Person(client, email, DEMO_PASSWORD)
    resp = await client.post("/v1/sessions", json={"email": email, "password": DEMO_PASSWORD})
    assert resp.status == 201, await resp.text()
    person.session_id = (await resp.json())["session_id"]
    return person


async def edit_cocus(client: Any, person: Person, body: dict[str, Any]) -> Any:
    """`PATCH` of the 3 Cocus group by this person."""
    return await client.patch(f"/v1/groups/{COCUS.id}", headers=await person.auth(), json=body)


async def public_group(client: Any, slug: str) -> dict[str, Any]:
    resp = await client.get(f"/v1/groups/by-slug/{slug}")
    assert resp.status == 200, await resp.text()
    group: dict[str, Any] = await resp.json()
    return group


async def test_admin_edits_a_group_and_the_slug_stays(client):
    admin = await log_in_demo(client)
    before = await public_group(client, "3-cocus")
    resp = await edit_cocus(
        client,
        admin,
        {
            "name": "Trois Cocus",
            "city": "  Toulouse Nord ",
            "coordinator_name": "Awa DIALLO",
            "coordinator_email": "Awa.Diallo@VRAC-asso.org",
            "contact_email": None,
            "address_required": False,
        },
    )
    assert resp.status == 200, await resp.text()
    answer = await resp.json()
    assert answer["slug"] == "3-cocus" and answer["join_path"] == "/g/3-cocus"
    assert answer["name"] == "Trois Cocus"

    after = await public_group(client, "3-cocus")
    assert after == answer
    assert after["id"] == before["id"] == str(COCUS.id)
    assert after["city"] == "Toulouse Nord"  # trimmed, as on creation
    assert after["coordinator_name"] == "Awa DIALLO"
    assert after["coordinator_email"] == "Awa.Diallo@vrac-asso.org"  # domain normalised
    assert after["contact_email"] == ""
    assert after["address_required"] is False
    assert after["phone_required"] is before["phone_required"] is True  # not sent: unchanged
    # A member of the group reads the same through the member route.
    member = await sign_up_and_log_in(client, "lit@example.org")
    resp = await client.get(f"/v1/groups/{COCUS.id}", headers=await member.auth())
    assert (await resp.json())["coordinator_name"] == "Awa DIALLO"

    # One field alone changes that field alone.
    resp = await edit_cocus(client, admin, {"phone_required": False})
    assert resp.status == 200, await resp.text()
    again = await public_group(client, "3-cocus")
    assert again == {**after, "phone_required": False}


async def test_the_slug_cannot_be_changed(client):
    admin = await log_in_demo(client)
    before = await public_group(client, "3-cocus")
    resp = await edit_cocus(client, admin, {"slug": "autre-lien", "name": "Renommé"})
    assert resp.status == 422
    assert resp.content_type == "application/problem+json"
    assert [e["field"] for e in (await resp.json())["errors"]] == ["slug"]
    assert await public_group(client, "3-cocus") == before
    assert (await client.get("/v1/groups/by-slug/autre-lien")).status == 404


async def test_member_and_coordinator_get_403_and_nothing_changes(client):
    before = await public_group(client, "3-cocus")
    member = await sign_up_and_log_in(client, "membre@example.org")
    coordinator = await log_in_demo(client, COCUS.coordinator_email)
    for person in (member, coordinator):
        resp = await edit_cocus(client, person, {"coordinator_name": "Pirate", "city": "Ailleurs"})
        assert resp.status == 403, await resp.text()
        assert resp.content_type == "application/problem+json"
        assert (await resp.json())["code"] == "admin-only"
    resp = await client.patch(f"/v1/groups/{COCUS.id}", json={"city": "Ailleurs"})
    assert resp.status == 401
    assert await public_group(client, "3-cocus") == before


async def test_bad_email_wrong_type_unknown_field_give_422_and_nothing_changes(client):
    admin = await log_in_demo(client)
    before = await public_group(client, MINGUETTES_SLUG)
    url = f"/v1/groups/{before['id']}"
    cases: list[tuple[dict[str, Any], list[str]]] = [
        # A valid name next to a bad email: neither is stored.
        ({"name": "Nouveau nom", "coordinator_email": "pas-une-adresse"}, ["coordinator_email"]),
        ({"contact_email": "contact@"}, ["contact_email"]),
        ({"city": "Lyon", "colour": "vert"}, ["colour"]),
        ({"phone_required": "peut-être"}, ["phone_required"]),
        ({"name": 42}, ["name"]),
        ({"name": "   "}, ["name"]),
        ({"coordinator_name": "x" * 201}, ["coordinator_name"]),
        ({"city": None}, ["body"]),
        ({}, ["body"]),
    ]
    for body, fields in cases:
        resp = await client.patch(url, headers=await admin.auth(), json=body)
        assert resp.status == 422, (body, await resp.text())
        assert resp.content_type == "application/problem+json"
        problem = await resp.json()
        assert problem["code"] == "invalid-input"
        assert [e["field"] for e in problem["errors"]] == fields, body
    resp = await client.patch(url, headers=await admin.auth(), data=b"not json")
    assert resp.status == 400
    assert await public_group(client, MINGUETTES_SLUG) == before


async def test_unknown_group_is_404(client):
    admin = await log_in_demo(client)
    resp = await client.patch(
        f"/v1/groups/{uuid.uuid4()}", headers=await admin.auth(), json={"city": "Lyon"}
    )
    assert resp.status == 404
    assert resp.content_type == "application/problem+json"
    resp = await client.patch(
        "/v1/groups/pas-un-uuid", headers=await admin.auth(), json={"city": "Lyon"}
    )
    assert resp.status == 404


async def test_the_operation_is_in_the_openapi_document(client):
    spec = await (await client.get("/openapi.json")).json()
    operation = spec["paths"]["/v1/groups/{group_id}"]["patch"]
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/GroupUpdate"
    }
    properties = spec["components"]["schemas"]["GroupUpdate"]["properties"]
    assert "slug" not in properties
    assert set(properties) == {
        "name",
        "city",
        "coordinator_name",
        "coordinator_email",
        "contact_email",
        "phone_required",
        "address_required",
    }
