"""Ordering app against real Postgres and RabbitMQ, with helpers to drive it over HTTP."""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from services.ordering.bootstrap import build_app
from services.ordering.settings import OrderingSettings
from shared.auth import TokenIssuer, TokenVerifier
from shared.contracts import contract_for
from shared.envelope import CloudEvent


@dataclass
class Group:
    id: uuid.UUID
    coordinator: uuid.UUID
    coordinator_token: str
    products: dict[str, str] = field(default_factory=dict)
    distribution: str = ""


@dataclass
class Ordering:
    client: TestClient[Any, Any]
    issuer: TokenIssuer
    database_url: str

    def member_token(self, group_id: uuid.UUID, user_id: uuid.UUID | None = None) -> str:
        return self.issuer.issue(user_id or uuid.uuid4(), {str(group_id): "member"})

    @staticmethod
    def auth(token: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}", **extra}

    async def call(
        self,
        method: str,
        path: str,
        token: str,
        json: Any = None,
        headers: dict[str, str] | None = None,
        expect: int | None = None,
    ) -> Any:
        resp = await self.client.request(
            method, path, json=json, headers=self.auth(token, **(headers or {}))
        )
        body: Any
        if resp.content_type in ("application/json", "application/problem+json"):
            body = await resp.json()
        else:
            body = await resp.read()
        if expect is not None:
            assert resp.status == expect, (resp.status, body)
        return body

    async def add_line(
        self, group: Group, token: str, product_id: str, quantity: Any, expect: int = 200
    ) -> Any:
        """POST a line to the member's cart in the group's open distribution."""
        return await self.call(
            "POST",
            f"/v1/groups/{group.id}/distributions/{group.distribution}/cart/lines",
            token,
            {"product_id": product_id, "quantity": quantity},
            expect=expect,
        )

    async def sql(self, query: str, *args: Any) -> Any:
        conn = await asyncpg.connect(self.database_url, server_settings={"search_path": "ordering"})
        try:
            return await conn.fetch(query, *args)
        finally:
            await conn.close()

    async def new_group(self, stock: dict[str, int] | None = None) -> Group:
        """A group with the tutorial's Lessive and Amandes, and an open distribution."""
        group_id, coordinator = uuid.uuid4(), uuid.uuid4()
        token = self.issuer.issue(coordinator, {str(group_id): "coordinator"})
        group = Group(group_id, coordinator, token)
        base = f"/v1/groups/{group_id}"
        stock = stock or {}
        for name, unit, price, bulk in (
            ("Lessive 1 L", "1 L", 225, False),
            ("Amandes avec peau - en vrac", "kg", 1485, True),
            ("Batterie de cuisine - 8 ustensiles TEFAL", "1 pièce", 3850, False),
            ("Dentifrice Fraise des bois", "1 pièce", 235, False),
        ):
            body = {
                "name": name,
                "category": "Autres" if not bulk else "Fruits & Légumes",
                "unit_label": unit,
                "unit_price_cents": price,
                "bulk": bulk,
            }
            if name.startswith("Batterie"):
                body["stock"] = "0"
            if name in stock:
                body["stock"] = str(stock[name])
            created = await self.call("POST", f"{base}/products", token, body, expect=201)
            group.products[name] = created["product_id"]
        now = datetime.now(UTC)
        dist = await self.call(
            "POST",
            f"{base}/distributions",
            token,
            {
                "opens_at": (now - timedelta(hours=1)).isoformat(),
                "closes_at": (now + timedelta(days=1)).isoformat(),
                "starts_at": (now + timedelta(days=2)).isoformat(),
                "ends_at": (now + timedelta(days=2, hours=7)).isoformat(),
                "place_name": "Centre social Eugénie Cotton",
                "place_address": "23 rue Georges Lyvet 69200 Venissieux",
                "products": [{"product_id": p} for p in group.products.values()],
            },
            expect=201,
        )
        group.distribution = dist["distribution_id"]
        return group


@asynccontextmanager
async def running_ordering(
    database_url: str,
    amqp_url: str,
    events_exchange: str,
    token_issuer: TokenIssuer,
    token_verifier: TokenVerifier,
    scheduler_interval: float,
    *,
    auto_decompress: bool = True,
) -> AsyncIterator[Ordering]:
    """The ordering app on a test server, its scheduler running every `scheduler_interval` s;
    with `auto_decompress=False` its client hands over the bytes as sent."""
    settings = OrderingSettings(
        database_url=database_url,
        amqp_url=amqp_url,
        events_exchange=events_exchange,
        scheduler_interval=scheduler_interval,
    )
    app = await build_app(settings, verifier=token_verifier)
    async with TestClient(TestServer(app), auto_decompress=auto_decompress) as client:
        yield Ordering(client, token_issuer, database_url)


@pytest.fixture
async def ordering(
    database_url, amqp_url, events_exchange, event_sink, token_issuer, token_verifier
) -> AsyncIterator[Ordering]:
    async with running_ordering(
        database_url, amqp_url, events_exchange, token_issuer, token_verifier, 0.2
    ) as ordering:
        yield ordering


def check_contracts(events: list[dict[str, Any]]) -> None:
    """Every event is a valid CloudEvent whose data validates against its contract model."""
    for raw in events:
        event = CloudEvent.model_validate(raw)
        assert event.type.startswith("ordering.")
        assert event.source == "/ordering"
        assert event.groupid is not None
        contract_for(event.type).model_validate(event.data)
        for forbidden in ("email", "phone", "address", "street"):
            assert forbidden not in event.data
