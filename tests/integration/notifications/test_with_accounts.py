"""With the real accounts service (its build_app, on the same test database and broker): contact
details and reset tokens come from its internal API, through a real service token."""

import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aio_pika
import pytest
from aiohttp.test_utils import TestClient, TestServer

from services.accounts.bootstrap import build_app as build_accounts
from services.accounts.seed import seed_demo
from services.accounts.settings import AccountsSettings
from services.notifications.bootstrap import build_app
from shared.contracts.logistics import DeliveryAssignedV1
from shared.demo import DEMO_GROUPS
from shared.envelope import new_event
from shared.outbox import to_message
from tests.integration.notifications.conftest import SERVICE_SECRET, make_settings
from tests.support.mail import parse, text_of
from tests.support.processes import free_port

COCUS = DEMO_GROUPS[0]


@pytest.fixture
async def accounts(
    database_url: str, amqp_url: str, events_exchange: str
) -> AsyncIterator[TestClient[Any, Any]]:
    settings = AccountsSettings(
        database_url=database_url,
        amqp_url=amqp_url,
        events_exchange=events_exchange,
        service_secret=SERVICE_SECRET,
    )
    await seed_demo(settings)
    async with TestClient(TestServer(await build_accounts(settings), host="127.0.0.1")) as client:
        yield client


async def sign_up(client: TestClient[Any, Any], first: str, language: str) -> dict[str, Any]:
    mail = f"{first.lower()}.{uuid.uuid4().hex[:6]}@example.org"
    body = {
        "first_name": first,
        "last_name": "Test",
        "email": mail,
        "password": "un mot de passe",
        "phone": "06 06 06 06 06",
        "street": "3 rue des Cocus",
        "postcode": "31200",
        "city": "Toulouse",
        "language": language,
    }
    assert (await client.post("/v1/signup", json=body)).status == 202
    resp = await client.post("/v1/sessions", json={"email": mail, "password": body["password"]})
    assert resp.status == 201, await resp.text()
    session = await resp.json()
    token = (
        await (
            await client.post(
                "/v1/sessions/current/token",
                headers={"Authorization": f"Session {session['session_id']}"},
            )
        ).json()
    )["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    # A pairing mail goes only between members of the group (issue 14): both join it.
    joined = await client.post(f"/v1/groups/{COCUS.id}/members/me", headers=auth)
    assert joined.status in (200, 201), await joined.text()
    me = await (await client.get("/v1/me", headers=auth)).json()
    return dict(me)


async def publish_once(amqp_url: str, exchange_name: str, event_type: str, data: Any) -> None:
    """As logistics' relay would: a persistent CloudEvent, published with confirms."""
    event = new_event(event_type, "/logistics", data)
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        exchange = await channel.get_exchange(exchange_name)
        message = to_message(event.id, event_type, event.model_dump(mode="json"))
        await exchange.publish(message, routing_key=event_type, mandatory=True)
    finally:
        await connection.close()


async def test_pairing_and_reset_link_with_the_real_accounts_service(
    accounts, smtp_server, database_url, amqp_url, events_exchange, token_verifier
):
    accounts_url = str(accounts.make_url("")).rstrip("/")
    settings = make_settings(
        database_url,
        amqp_url,
        events_exchange,
        accounts_url,
        smtp_server.port,
        logistics_url=f"http://127.0.0.1:{free_port()}",
    )
    async with TestClient(TestServer(await build_app(settings, token_verifier), host="127.0.0.1")):
        requester = await sign_up(accounts, "Sarah", "fr")
        volunteer = await sign_up(accounts, "Paul", "en")
        event = DeliveryAssignedV1(
            request_id=uuid.uuid4(),
            distribution_id=uuid.uuid4(),
            group_id=COCUS.id,
            requester_id=uuid.UUID(requester["id"]),
            volunteer_id=uuid.UUID(volunteer["id"]),
            consented_fields=["address"],
        )
        await publish_once(amqp_url, events_exchange, "logistics.delivery.assigned.v1", event)
        received = await smtp_server.settle(2, quiet=0.5)
        by_recipient = {m.rcpt_tos[0]: parse(m.raw) for m in received}
        to_volunteer = by_recipient[volunteer["email"]]
        assert to_volunteer["Content-Language"] == "en"
        text = text_of(to_volunteer)
        assert "Sarah Test" in text and "3 rue des Cocus, 31200 Toulouse" in text
        assert "06 06 06 06 06" not in text and requester["email"] not in text
        to_requester = by_recipient[requester["email"]]
        assert to_requester["Content-Language"] == "fr"
        # Accounts stores E.164; the mail shows the number the French way (issue 11).
        assert volunteer["phone"] == "+33606060606"
        assert "Téléphone : 06 06 06 06 06" in text_of(to_requester)
        assert "+33606060606" not in text_of(to_requester)
        assert volunteer["email"] in text_of(to_requester)

        # Password reset: accounts publishes the event, we fetch the one-time token, mail it.
        assert (
            await accounts.post("/v1/password-resets", json={"email": volunteer["email"]})
        ).status == 202
        received = await smtp_server.settle(3, quiet=0.5)
        reset_mail = parse(received[2].raw)
        assert received[2].rcpt_tos == [volunteer["email"]]
        link = re.search(
            r"http://127\.0\.0\.1:8080/mot-de-passe/nouveau\?token=(\S+)", text_of(reset_mail)
        )
        assert link is not None
        resp = await accounts.post(
            "/v1/password-resets/confirm",
            json={"token": link.group(1), "new_password": "un autre mot de passe"},
        )
        assert resp.status == 204, await resp.text()
