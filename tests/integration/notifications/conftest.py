"""Fixtures of the notifications tests: a real aiosmtpd server (smtp.py), a small HTTP double of
the accounts/logistics internal APIs (it checks real service tokens), and the service itself."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aio_pika
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pydantic import BaseModel

from services.notifications.bootstrap import build_app
from services.notifications.settings import NotificationsSettings
from shared.auth import TokenIssuer, TokenVerifier
from shared.contracts.ordering import DistributionScheduledV1
from shared.db import Database, create_pool
from shared.envelope import new_event
from shared.outbox import to_message

# The SMTP server and its fixtures, re-exported: pytest finds fixtures here, and other tests
# import these names from this module.
from tests.integration.notifications.smtp import Received as Received
from tests.integration.notifications.smtp import smtp_server as smtp_server
from tests.integration.notifications.smtp import stopped_smtp_server as stopped_smtp_server

SERVICE_SECRET = "test-secret-notifications"


@dataclass
class FakePeople:
    """The double of accounts' (and logistics') internal API, backed by these dicts."""

    issuer: TokenIssuer
    verifier: TokenVerifier
    contacts: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)
    groups: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)
    members: dict[uuid.UUID, list[dict[str, Any]]] = field(default_factory=dict)
    resets: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)
    bookings: dict[tuple[uuid.UUID, uuid.UUID], dict[str, Any]] = field(default_factory=dict)
    failing_contacts: set[uuid.UUID] = field(default_factory=set)
    calls: list[str] = field(default_factory=list)
    tokens_issued: int = 0

    def person(
        self,
        first_name: str,
        last_name: str,
        language: str = "fr",
        email: str | None = None,
        phone: str | None = "06 11 22 33 44",
        street: str | None = "4 rue des Lilas",
        postcode: str | None = "31500",
        city: str | None = "Toulouse",
        group_id: uuid.UUID | None = None,
        role: str = "member",
    ) -> uuid.UUID:
        user_id = uuid.uuid4()
        self.contacts[user_id] = {
            "user_id": str(user_id),
            "first_name": first_name,
            "last_name": last_name,
            "display_name": f"{last_name} {first_name}",
            "email": email or f"{first_name.lower()}.{user_id.hex[:6]}@example.org",
            "phone": phone,
            "street": street,
            "postcode": postcode,
            "city": city,
            "language": language,
        }
        if group_id is not None:
            self.members.setdefault(group_id, []).append(
                {
                    "user_id": str(user_id),
                    "role": role,
                    "language": language,
                    "first_name": first_name,
                }
            )
        return user_id

    def group(self, name: str = "3 Cocus", slug: str = "3-cocus") -> uuid.UUID:
        group_id = uuid.uuid4()
        self.groups[group_id] = {
            "id": str(group_id),
            "slug": slug,
            "name": name,
            "city": "Toulouse",
            "coordinator_name": "",
            "coordinator_email": "",
            "contact_email": "",
            "phone_required": False,
            "address_required": False,
            "join_path": f"/g/{slug}",
        }
        self.members.setdefault(group_id, [])
        return group_id

    def email_of(self, user_id: uuid.UUID) -> str:
        return str(self.contacts[user_id]["email"])

    async def _service(self, request: web.Request) -> None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme != "Bearer":
            raise web.HTTPUnauthorized()
        try:
            principal = await self.verifier.verify(token)
        except Exception:
            raise web.HTTPUnauthorized() from None
        if principal.service != "notifications":
            raise web.HTTPForbidden()

    def app(self) -> web.Application:
        routes = web.RouteTableDef()

        @routes.post("/v1/service-tokens")
        async def service_token(request: web.Request) -> web.Response:
            body = await request.json()
            if body != {"service": "notifications", "secret": SERVICE_SECRET}:
                return web.json_response({"code": "invalid-service-secret"}, status=401)
            self.tokens_issued += 1
            return web.json_response(
                {"access_token": self.issuer.issue_service("notifications"), "expires_in": 300}
            )

        @routes.get("/internal/users/{user_id}/contact")
        async def contact(request: web.Request) -> web.Response:
            await self._service(request)
            user_id = uuid.UUID(request.match_info["user_id"])
            self.calls.append(f"contact:{user_id}")
            if user_id in self.failing_contacts:
                return web.json_response({"code": "unavailable"}, status=503)
            if user_id not in self.contacts:
                return web.json_response({"code": "not-found"}, status=404)
            return web.json_response(self.contacts[user_id])

        @routes.get("/internal/groups/{group_id}")
        async def group(request: web.Request) -> web.Response:
            await self._service(request)
            found = self.groups.get(uuid.UUID(request.match_info["group_id"]))
            return web.json_response(found) if found else web.json_response({}, status=404)

        @routes.get("/internal/groups/{group_id}/members")
        async def members(request: web.Request) -> web.Response:
            await self._service(request)
            group_id = uuid.UUID(request.match_info["group_id"])
            if group_id not in self.groups:
                return web.json_response({}, status=404)
            return web.json_response({"members": self.members.get(group_id, [])})

        @routes.get("/internal/password-resets/{reset_id}")
        async def reset(request: web.Request) -> web.Response:
            await self._service(request)
            found = self.resets.get(uuid.UUID(request.match_info["reset_id"]))
            if found is None:
                return web.json_response({}, status=404)
            if found.get("handed_out"):
                return web.json_response({"code": "gone"}, status=410)
            found["handed_out"] = True
            return web.json_response({k: v for k, v in found.items() if k != "handed_out"})

        @routes.get("/internal/distributions/{distribution_id}/bookings/{user_id}")
        async def booking(request: web.Request) -> web.Response:
            await self._service(request)
            key = (
                uuid.UUID(request.match_info["distribution_id"]),
                uuid.UUID(request.match_info["user_id"]),
            )
            found = self.bookings.get(key)
            return web.json_response(found) if found else web.json_response({}, status=404)

        app = web.Application()
        app.add_routes(routes)
        return app


@pytest.fixture
async def people(
    token_issuer: TokenIssuer, token_verifier: TokenVerifier
) -> AsyncIterator[tuple[FakePeople, str]]:
    fake = FakePeople(token_issuer, token_verifier)
    server = TestServer(fake.app(), host="127.0.0.1")
    await server.start_server()
    yield fake, str(server.make_url("")).rstrip("/")
    await server.close()


def make_settings(
    database_url: str,
    amqp_url: str,
    events_exchange: str,
    people_url: str,
    smtp_port: int,
    **overrides: Any,
) -> NotificationsSettings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "amqp_url": amqp_url,
        "events_exchange": events_exchange,
        "accounts_url": people_url,
        "logistics_url": people_url,
        "service_secret": SERVICE_SECRET,
        "smtp_port": smtp_port,
        "sender_poll_seconds": 0.1,
        "retry_base_seconds": 0.2,
        "retry_max_seconds": 1.0,
        "reminder_check_seconds": 0.3,
        "mailsink_enabled": False,
        "db_pool_min": 1,
        "db_pool_max": 4,
        "shutdown_timeout": 2.0,
    }
    values.update(overrides)
    return NotificationsSettings(**values)


@dataclass
class Service:
    settings: NotificationsSettings
    client: TestClient[Any, Any]
    db: Database
    people: FakePeople
    publish: Callable[..., Any]

    async def schedule_distribution(self, group_id: uuid.UUID) -> DistributionScheduledV1:
        """A distribution of the group, published as ordering's relay does when it is made."""
        distribution = distribution_event(group_id)
        await self.publish("ordering.distribution.scheduled.v1", distribution)
        return distribution


@pytest.fixture
async def start_service(
    database_url: str,
    amqp_url: str,
    events_exchange: str,
    people: tuple[FakePeople, str],
    token_verifier: TokenVerifier,
) -> AsyncIterator[Callable[..., Any]]:
    """Start a notifications replica (as many as a test wants) against the same database."""
    clients: list[TestClient[Any, Any]] = []
    pool = await create_pool(database_url, "notifications", 1, 4)
    db = Database(pool, 8)
    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
    fake, people_url = people

    async def publish(
        event_type: str, data: BaseModel | dict[str, Any], event_id: uuid.UUID | None = None
    ) -> uuid.UUID:
        """What a producing service's relay does: a persistent CloudEvent on the exchange."""
        exchange = await channel.get_exchange(events_exchange)
        if isinstance(data, BaseModel):
            event = new_event(event_type, "/tests", data).model_dump(mode="json")
        else:  # a hand-made (possibly invalid) payload
            event = {
                "specversion": "1.0",
                "id": str(uuid.uuid4()),
                "source": "/tests",
                "type": event_type,
                "time": datetime.now(UTC).isoformat(),
                "data": data,
            }
        if event_id is not None:
            event["id"] = str(event_id)
        # The message the outbox relay sends (shared.outbox.to_message).
        event_id = uuid.UUID(event["id"])
        await exchange.publish(
            to_message(event_id, event_type, event), routing_key=event_type, mandatory=True
        )
        return event_id

    async def start(smtp_port: int, http_host: str = "127.0.0.1", **overrides: Any) -> Service:
        settings = make_settings(
            database_url, amqp_url, events_exchange, people_url, smtp_port, **overrides
        )
        app = await build_app(settings, token_verifier)
        client = TestClient(TestServer(app, host=http_host))
        await client.start_server()
        clients.append(client)
        return Service(settings, client, db, fake, publish)

    yield start
    for client in clients:
        await client.close()
    await connection.close()
    await pool.close()


def distribution_event(
    group_id: uuid.UUID,
    closes_in: timedelta = timedelta(days=3),
) -> DistributionScheduledV1:
    now = datetime.now(UTC)
    starts = (now + closes_in + timedelta(days=1)).replace(
        hour=11, minute=0, second=0, microsecond=0
    )
    return DistributionScheduledV1(
        distribution_id=uuid.uuid4(),
        group_id=group_id,
        starts_at=starts,
        ends_at=starts + timedelta(hours=7),
        opens_at=now - timedelta(days=1),
        closes_at=now + closes_in,
        place_name="Centre social Eugénie Cotton",
        place_address="23 rue Georges Lyvet 69200 Venissieux",
    )


def pairing_ids(
    distribution: DistributionScheduledV1, requester: uuid.UUID, **more: Any
) -> dict[str, Any]:
    """The fields every logistics delivery event carries, for a new request of `requester`."""
    return {
        "request_id": uuid.uuid4(),
        "distribution_id": distribution.distribution_id,
        "group_id": distribution.group_id,
        "requester_id": requester,
        **more,
    }


async def wait_until(predicate: Callable[[], Any], seconds: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        if await predicate():
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.1)


async def outbox_rows(db: Database) -> list[dict[str, Any]]:
    async with db.connection() as conn:
        rows = await conn.fetch("SELECT * FROM email_outbox ORDER BY id")
    return [dict(r) for r in rows]


async def clear_mail_sink(db: Database) -> None:
    """Empty the development sink between steps of a test. The service has no route for it (a
    fuzzer emptied it through the former `DELETE /dev/mail`): tests delete the rows directly."""
    async with db.transaction() as conn:
        await conn.execute("DELETE FROM sink_messages")
