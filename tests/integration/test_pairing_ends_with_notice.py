"""Issue 14, item 3: a pairing that ends because one side erased their account, left the group, or
was revoked by the coordinator ends with notice: the other side gets one mail in their language,
whatever order the erasure and logistics' events reach notifications in, and afterwards neither
logistics nor notifications holds anything that points back to an erased person.

End to end: the real logistics service (api, relay, consumers) and the real notifications service
(consumers, sender, a real SMTP server) on one database and one exchange; accounts is the HTTP
double of the notifications tests (its contact and member lists are what accounts would answer)."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any, Literal

import pytest
from aiohttp.test_utils import TestClient, TestServer

from services.logistics.bootstrap import build_app as build_logistics
from services.logistics.settings import LogisticsSettings
from shared.auth import TokenIssuer
from shared.contracts.accounts import MemberLeftV1, UserErasedV1
from shared.contracts.logistics import (
    DeliveryAssignedV1,
    DeliveryCancelledV1,
    DeliveryUnassignedV1,
)
from shared.db import Database, create_pool
from tests.integration.notifications import conftest as notifications
from tests.integration.notifications.conftest import FakePeople, Received, pairing_ids
from tests.integration.notifications.steps import replica_with_group
from tests.support.mail import parse, text_of

# The notifications tests' fixtures: its accounts double, SMTP server and service starter.
people = notifications.people
smtp_server = notifications.smtp_server
start_service = notifications.start_service
CONSENT = {"fields": ["phone"], "text_version": "2026-01"}
REQUESTER_PHONE = "06 12 34 56 78"


@pytest.fixture
async def logistics(
    database_url: str, amqp_url: str, events_exchange: str, token_verifier: Any
) -> AsyncIterator[TestClient[Any, Any]]:
    settings = LogisticsSettings(
        database_url=database_url, amqp_url=amqp_url, events_exchange=events_exchange
    )
    app = await build_logistics(settings, token_verifier)
    async with TestClient(TestServer(app)) as client:
        yield client


@pytest.fixture
async def raw_db(database_url: str) -> AsyncIterator[Database]:
    pool = await create_pool(database_url, "public", 1, 2)
    yield Database(pool, 4)
    await pool.close()


def auth(
    issuer: TokenIssuer,
    user: uuid.UUID,
    group: uuid.UUID,
    role: Literal["member", "coordinator"] = "member",
) -> dict[str, str]:
    return {"Authorization": f"Bearer {issuer.issue(user, {str(group): role})}"}


async def until(check: Any, seconds: float = 20.0) -> None:
    for _ in range(int(seconds / 0.1)):
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("condition not met in time")


async def traces(db: Database, user_id: uuid.UUID) -> dict[str, int]:
    """Rows of every table of logistics and notifications whose text holds the person's id.
    `membership_revocations` is left out: it must name the person until no token issued before
    the erasure is alive (about 20 minutes); the retention job then deletes it."""
    found: dict[str, int] = {}
    async with db.connection() as conn:
        tables = await conn.fetch(
            "SELECT table_schema, table_name FROM information_schema.tables"
            " WHERE table_schema IN ('logistics', 'notifications') AND table_type = 'BASE TABLE'"
            " AND table_name <> 'membership_revocations'"
        )
        for t in tables:
            name = f'"{t["table_schema"]}"."{t["table_name"]}"'
            count = await conn.fetchval(
                f"SELECT count(*) FROM {name} x WHERE strpos(x::text, $1) > 0",
                str(user_id),
            )
            if count:
                found[name] = int(count)
    return found


async def paired(
    logistics: TestClient[Any, Any], service: Any, issuer: TokenIssuer, smtp: Any
) -> dict[str, Any]:
    """Sarah (fr) asks for delivery, Paul (de) takes it; both get the pairing mail."""
    fake: FakePeople = service.people
    group = fake.group()
    requester = fake.person("Sarah", "VARDA", "fr", phone=REQUESTER_PHONE, group_id=group)
    volunteer = fake.person("Paul", "SCHMIDT", "de", group_id=group)
    coordinator = fake.person("Claire", "COORD", "fr", group_id=group, role="coordinator")
    distribution = await service.schedule_distribution(group)
    base = f"/v1/groups/{group}/distributions/{distribution.distribution_id}"
    hr, hv = auth(issuer, requester, group), auth(issuer, volunteer, group)

    async def known() -> bool:
        return (await logistics.get(base + "/slots", headers=hr)).status == 200

    await until(known)
    resp = await logistics.put(
        base + "/pickup", json={"choice": "need_delivery", "consent": CONSENT}, headers=hr
    )
    assert resp.status == 200, await resp.text()
    request_id = (await resp.json())["request"]["request_id"]
    resp = await logistics.put(base + "/pickup", json={"choice": "can_deliver"}, headers=hv)
    assert resp.status == 200
    claim = await logistics.post(f"{base}/delivery-requests/{request_id}/claim", headers=hv)
    assert claim.status == 200, await claim.text()
    received = await smtp.wait_for(2)
    assert sorted(m.rcpt_tos[0] for m in received) == sorted(
        [fake.email_of(requester), fake.email_of(volunteer)]
    )
    return {
        "group": group,
        "requester": requester,
        "volunteer": volunteer,
        "coordinator": coordinator,
        "base": base,
        "request_id": request_id,
    }


CASES = [
    ("erased", "requester"),
    ("erased", "volunteer"),
    ("left", "requester"),
    ("left", "volunteer"),
    ("revoked", "requester"),
]


@pytest.mark.parametrize(("how", "side"), CASES)
async def test_the_other_side_is_told_once(
    how: str,
    side: str,
    logistics: TestClient[Any, Any],
    start_service: Any,
    smtp_server: Any,
    token_issuer: TokenIssuer,
    raw_db: Database,
) -> None:
    service = await start_service(smtp_server.port)
    fake: FakePeople = service.people
    p = await paired(logistics, service, token_issuer, smtp_server)
    gone = p[side]
    other = p["volunteer"] if side == "requester" else p["requester"]
    group = p["group"]
    if how == "erased":
        # What accounts does: the person is gone from its answers, then the event goes out.
        fake.contacts.pop(gone)
        fake.members[group] = [m for m in fake.members[group] if m["user_id"] != str(gone)]
        await service.publish(
            "accounts.user.erased.v1", UserErasedV1(user_id=gone, group_ids=[group])
        )
    elif how == "left":
        fake.members[group] = [m for m in fake.members[group] if m["user_id"] != str(gone)]
        await service.publish("accounts.member.left.v1", MemberLeftV1(user_id=gone, group_id=group))
    else:
        resp = await logistics.post(
            f"{p['base']}/delivery-requests/{p['request_id']}/revoke",
            headers=auth(token_issuer, p["coordinator"], group, "coordinator"),
        )
        assert resp.status == 204, await resp.text()

    received = await smtp_server.settle(3, quiet=2.0)
    assert len(received) == 3, [m.rcpt_tos for m in received]  # exactly one notice
    notice: Received = received[2]
    assert notice.rcpt_tos == [fake.email_of(other)]
    message = parse(notice.raw)
    subject, body = str(message["Subject"]), text_of(message)
    if side == "requester":  # Paul, in German: the delivery is off, do not go
        assert message["Content-Language"] == "de"
        name = "Sarah" if how != "erased" else None
        assert subject == (
            f"Die Lieferung für {name} entfällt" if name else "Die übernommene Lieferung entfällt"
        )
        because = {
            "erased": "Konto gelöscht",
            "left": "Gruppe verlassen",
            "revoked": "Koordination der Gruppe hat die Anfrage storniert",
        }[how]
        assert because in body and "nicht hin" in body
    else:  # Sarah, in French: Paul will not deliver, the request is offered again
        assert message["Content-Language"] == "fr"
        assert subject == (
            "Paul ne pourra pas vous livrer"
            if how == "left"
            else "La personne bénévole ne pourra pas vous livrer"
        )
        assert "de nouveau proposée" in body
    assert REQUESTER_PHONE not in body

    # The coordinator sees the ended pairing and why on « Créneaux et livraisons ».
    view = await logistics.get(
        p["base"] + "/coordination",
        headers=auth(token_issuer, p["coordinator"], group, "coordinator"),
    )
    ended = (await view.json())["ended"]
    reason = {"erased": "erased", "left": "member_left", "revoked": "revoked"}[how]
    assert [(e["reason"], e["ended_by"]) for e in ended] == [
        (reason, "coordinator" if how == "revoked" else side)
    ]
    if how == "erased":
        assert ended[0][f"{side}_id"] is None

        async def forgotten() -> bool:
            return await traces(raw_db, gone) == {}

        try:
            await until(forgotten)
        except AssertionError:
            raise AssertionError(await traces(raw_db, gone)) from None


@pytest.mark.parametrize("erasure_first", [True, False])
@pytest.mark.parametrize("side", ["requester", "volunteer"])
async def test_the_order_of_erasure_and_logistics_event_does_not_matter(
    erasure_first: bool, side: str, start_service: Any, smtp_server: Any, raw_db: Database
) -> None:
    """Notifications alone, the events published by hand in one order or the other."""
    service, fake, group = await replica_with_group(start_service, smtp_server.port)
    requester = fake.person("Sarah", "VARDA", "fr", phone=REQUESTER_PHONE, group_id=group)
    volunteer = fake.person("Paul", "SCHMIDT", "de", group_id=group)
    distribution = await service.schedule_distribution(group)
    common = pairing_ids(distribution, requester)
    await service.publish(
        "logistics.delivery.assigned.v1",
        DeliveryAssignedV1(**common, volunteer_id=volunteer, consented_fields=["phone"]),
    )
    await smtp_server.wait_for(2)
    gone, other = (requester, volunteer) if side == "requester" else (volunteer, requester)
    fake.contacts.pop(gone)
    fake.members[group] = [m for m in fake.members[group] if m["user_id"] != str(gone)]
    erased = ("accounts.user.erased.v1", UserErasedV1(user_id=gone, group_ids=[group]))
    if side == "requester":
        ends: list[tuple[str, Any]] = [
            (
                "logistics.delivery.unassigned.v1",
                DeliveryUnassignedV1(
                    **common, volunteer_id=volunteer, reason="erased", ended_by="requester"
                ),
            ),
            (
                "logistics.delivery.cancelled.v1",
                DeliveryCancelledV1(
                    **common, volunteer_id=volunteer, reason="erased", ended_by="requester"
                ),
            ),
        ]
    else:
        ends = [
            (
                "logistics.delivery.unassigned.v1",
                DeliveryUnassignedV1(
                    **common, volunteer_id=volunteer, reason="erased", ended_by="volunteer"
                ),
            )
        ]
    order = [erased, *ends] if erasure_first else [*ends, erased]
    for routing_key, data in order:
        await service.publish(routing_key, data)
        await asyncio.sleep(0.3)  # each handled before the next arrives
    received = await smtp_server.settle(3, quiet=2.0)
    assert len(received) == 3
    assert received[2].rcpt_tos == [fake.email_of(other)]

    async def forgotten() -> bool:
        return await traces(raw_db, gone) == {}

    await until(forgotten)
