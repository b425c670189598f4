"""Every event contract carries the routing key it is published under (`ROUTING_KEY`): keys are
unique, documented in the AsyncAPI document, and `shared.outbox.add_event` refuses any other."""

import json
import uuid
from pathlib import Path
from typing import ClassVar

import pytest
from pydantic import BaseModel

from shared.contracts import (
    EVENT_CONTRACTS,
    PUBLISHERS,
    RoutingKeyMismatch,
    UnknownEventType,
    routing_key_of,
    validate_event_data,
)
from shared.contracts.accounts import MemberJoinedV1, MemberLeftV1
from shared.contracts.export import EVENTS_DIR
from shared.db import connect
from shared.outbox import add_event

ROOT = Path(__file__).resolve().parents[2]


def event_models() -> list[type[BaseModel]]:
    return [model for module in PUBLISHERS for model in module.EVENTS]


def test_every_event_model_declares_its_own_routing_key() -> None:
    models = event_models()
    assert len(models) == len(EVENT_CONTRACTS) >= 18
    for model in models:
        # Declared on the class itself, not inherited from another event.
        assert isinstance(model.__dict__.get("ROUTING_KEY"), str), model.__name__
        assert model.__name__.endswith(routing_key_of(model).rsplit(".", 1)[1].upper())
        # A class variable, not a field: it travels in the routing key, not in the payload.
        assert "ROUTING_KEY" not in model.model_fields


def test_routing_keys_are_unique_and_the_registry_is_built_from_them() -> None:
    keys = [routing_key_of(model) for model in event_models()]
    assert len(keys) == len(set(keys))
    assert {routing_key_of(model): model for model in event_models()} == EVENT_CONTRACTS
    for module in PUBLISHERS:
        service = module.__name__.rsplit(".", 1)[1]
        assert all(key.startswith(f"{service}.") for key in module.CONTRACTS), service


def test_every_routing_key_is_a_channel_of_the_asyncapi_document() -> None:
    document = json.loads((EVENTS_DIR / "asyncapi.json").read_text())
    addresses = {channel["address"] for channel in document["channels"].values()}
    messages = {message["name"] for message in document["components"]["messages"].values()}
    keys = {routing_key_of(model) for model in event_models()}
    assert keys == addresses == messages


def test_validation_refuses_another_models_routing_key() -> None:
    left = MemberLeftV1(user_id=uuid.uuid4(), group_id=uuid.uuid4())
    validate_event_data("accounts.member.left.v1", left)
    with pytest.raises(RoutingKeyMismatch, match="MemberLeftV1 is published under"):
        validate_event_data("accounts.member.joined.v1", left)
    with pytest.raises(RoutingKeyMismatch):
        validate_event_data("accounts.member.left.v2", left)

    class NotAnEvent(BaseModel):
        x: int = 0

    with pytest.raises(TypeError, match="no ROUTING_KEY"):
        validate_event_data("accounts.member.left.v1", NotAnEvent())

    class Unregistered(BaseModel):
        ROUTING_KEY: ClassVar[str] = "accounts.member.unknown.v1"

    with pytest.raises(UnknownEventType):
        validate_event_data("accounts.member.unknown.v1", Unregistered())


async def test_add_event_refuses_a_mismatched_key_and_writes_nothing(database_url: str) -> None:
    conn = await connect(database_url, "accounts")
    try:
        joined = MemberJoinedV1(
            user_id=uuid.uuid4(),
            group_id=uuid.uuid4(),
            group_slug="3-cocus",
            role="member",
            first_name="Ana",
            language="fr",
        )
        async with conn.transaction():
            with pytest.raises(RoutingKeyMismatch):
                await add_event(conn, "accounts.member.left.v1", "/test", joined)
            assert await conn.fetchval("SELECT count(*) FROM outbox") == 0
            event = await add_event(conn, MemberJoinedV1.ROUTING_KEY, "/test", joined)
            assert await conn.fetchval("SELECT routing_key FROM outbox") == event.routing_key
            assert event.routing_key == "accounts.member.joined.v1"
    finally:
        await conn.close()
