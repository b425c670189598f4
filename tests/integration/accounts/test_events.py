"""Accounts' events reach an integrator through the outbox, even across a broker outage."""

import asyncio

from aiohttp.test_utils import TestClient, TestServer

from services.accounts.bootstrap import build_app
from services.accounts.seed import seed_demo
from services.accounts.settings import AccountsSettings
from shared.contracts import contract_for
from tests.integration.accounts.conftest import COCUS, signup_body

UNREACHABLE_BROKER = "amqp://guest:guest@127.0.0.1:1/"


async def test_200_sign_ups_during_a_broker_outage_all_arrive_once(
    accounts_settings: AccountsSettings, event_sink
):
    await seed_demo(accounts_settings)
    down = accounts_settings.model_copy(update={"amqp_url": UNREACHABLE_BROKER})
    async with TestClient(TestServer(await build_app(down))) as client:
        sem = asyncio.Semaphore(20)

        async def sign_up(i: int) -> int:
            async with sem:
                resp = await client.post(
                    "/v1/signup",
                    json={**signup_body(f"outage{i}@example.org"), "group_id": str(COCUS.id)},
                )
                return resp.status

        statuses = await asyncio.gather(*(sign_up(i) for i in range(200)))
        assert set(statuses) == {202}
        await asyncio.sleep(0.5)
    assert [e for e in event_sink.events if e["type"] == "accounts.member.joined.v1"] == []

    async with TestClient(TestServer(await build_app(accounts_settings))):
        # 200 members plus the 4 demo coordinators seeded beforehand.
        await event_sink.wait_for(204, type_="accounts.member.joined.v1", within=30)
        await asyncio.sleep(0.5)
    joined = [
        e
        for e in event_sink.events
        if e["type"] == "accounts.member.joined.v1" and e["data"]["role"] == "member"
    ]
    events = joined
    ids = [e["id"] for e in joined]
    assert len(ids) == len(set(ids)) == 200
    for event in events:
        contract_for(event["type"]).model_validate(event["data"])
        assert event["groupid"] == str(COCUS.id)
        assert "email" not in event["data"] and "phone" not in event["data"]
