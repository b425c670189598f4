"""An accounts app on a fresh database, with the demo groups, driven over HTTP."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient as AioTestClient
from aiohttp.test_utils import TestServer

from services.accounts.bootstrap import build_app
from services.accounts.seed import seed_demo
from services.accounts.settings import AccountsSettings
from shared.demo import DEMO_GROUPS

COCUS = DEMO_GROUPS[0]
SOUPETARD = DEMO_GROUPS[2]
TestClient = AioTestClient[web.Request, web.Application]


@pytest.fixture
def accounts_settings(database_url: str, amqp_url: str, events_exchange: str) -> AccountsSettings:
    return AccountsSettings(
        database_url=database_url,
        amqp_url=amqp_url,
        events_exchange=events_exchange,
        service_secret="test-secret",
        login_max_failures_per_account=3,
        login_max_failures_per_ip=6,
    )


@pytest.fixture
async def client(accounts_settings: AccountsSettings) -> AsyncIterator[TestClient]:
    await seed_demo(accounts_settings)
    app = await build_app(accounts_settings)
    async with AioTestClient(TestServer(app)) as test_client:
        yield test_client


ClientFor = Callable[..., AbstractAsyncContextManager[TestClient]]


@pytest.fixture
def client_for(client: TestClient, accounts_settings: AccountsSettings) -> ClientFor:
    """Another accounts app on the same (seeded) database, with some settings changed."""

    @asynccontextmanager
    async def running(**changes: Any) -> AsyncIterator[TestClient]:
        # Validated again, so that a changed setting is parsed as from the environment.
        settings = AccountsSettings(**{**accounts_settings.model_dump(), **changes})
        async with AioTestClient(TestServer(await build_app(settings))) as other:
            yield other

    return running


class Person:
    def __init__(self, client: TestClient, email: str, password: str) -> None:
        self.client = client
        self.email = email
        self.password = password
        self.session_id = ""
        self.user_id = ""

    async def token(self) -> str:
        resp = await self.client.post(
            "/v1/sessions/current/token", headers={"Authorization": f"Session {self.session_id}"}
        )
        assert resp.status == 200, await resp.text()
        body: dict[str, Any] = await resp.json()
        return str(body["access_token"])

    async def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {await self.token()}"}


def signup_body(email: str, **overrides: Any) -> dict[str, Any]:
    body = {
        "first_name": "Sarah",
        "last_name": "Varda",
        "email": email,
        "password": "un mot de passe",
        "phone": "06 06 06 06 06",
        "street": "3 rue des Cocus",
        "postcode": "31200",
        "city": "Toulouse",
    }
    body.update(overrides)
    return body


async def sign_up_and_log_in(
    client: TestClient, email: str, join: Any = COCUS, **overrides: Any
) -> Person:
    body = signup_body(email, **overrides)
    resp = await client.post("/v1/signup", json=body)
    assert resp.status == 202, await resp.text()
    person = Person(client, email, body["password"])
    resp = await client.post("/v1/sessions", json={"email": email, "password": body["password"]})
    assert resp.status == 201, await resp.text()
    data = await resp.json()
    person.session_id, person.user_id = data["session_id"], data["user_id"]
    if join is not None:
        resp = await client.post(f"/v1/groups/{join.id}/members/me", headers=await person.auth())
        assert resp.status == 201, await resp.text()
    return person
