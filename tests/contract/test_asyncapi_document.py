"""The AsyncAPI document is valid for @asyncapi/cli, says what the platform really declares, and
declaring `vrac.events` from it succeeds against the real broker."""

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import aio_pika
import aio_pika.exceptions
import pytest

from shared.amqp import (
    UNROUTED_QUEUE_ARGUMENTS,
    UNROUTED_SUFFIX,
    declare_events_exchange,
    events_exchange_arguments,
)
from shared.contracts import EVENT_CONTRACTS
from shared.contracts.export import EVENTS_DIR, EXCHANGE, SCHEMA_FORMAT
from tests.support.infra import unavailable

ROOT = Path(__file__).resolve().parents[2]
ASYNCAPI_CLI = ROOT / "tools" / "asyncapi" / "node_modules" / ".bin" / "asyncapi"
DOCUMENT = EVENTS_DIR / "asyncapi.json"
ERROR, WARNING = 0, 1  # Spectral severities in the CLI's JSON diagnostics


def document() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(DOCUMENT.read_text())
    return doc


def documented_binding() -> dict[str, Any]:
    """The AMQP channel binding; every channel must carry the same one."""
    bindings = [channel["bindings"]["amqp"] for channel in document()["channels"].values()]
    assert bindings and all(b == bindings[0] for b in bindings)
    first: dict[str, Any] = bindings[0]
    return first


def validate(path: Path, home: Path) -> tuple[int, list[dict[str, Any]], str]:
    if not ASYNCAPI_CLI.exists():
        unavailable(f"{ASYNCAPI_CLI} missing: run `make tools`")
    # Offline and quiet: no anonymous metrics (CI=true and a config saying so), no home writes.
    analytics = home / "asyncapi-analytics.json"
    analytics.write_text(
        json.dumps({"analyticsEnabled": "false", "infoMessageShown": "true", "userID": "ci"})
    )
    env = {
        **os.environ,
        "CI": "true",
        "ASYNCAPI_METRICS_CONFIG_PATH": str(analytics),
        "HOME": str(home),
        "SUPPRESS_NO_CONFIG_WARNING": "1",
        "NO_COLOR": "1",
    }
    result = subprocess.run(
        [
            str(ASYNCAPI_CLI),
            "validate",
            str(path),
            "--fail-severity",
            "warn",
            "--diagnostics-format",
            "json",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        check=False,
    )
    output = result.stdout
    diagnostics = json.loads(output[output.index("[") :]) if "[" in output else []
    return result.returncode, diagnostics, output + result.stderr


def test_asyncapi_cli_validates_the_document(tmp_path: Path) -> None:
    code, diagnostics, output = validate(DOCUMENT, tmp_path)
    problems = [d for d in diagnostics if d["severity"] in (ERROR, WARNING)]
    assert code == 0 and problems == [], output
    assert "is valid" in output


def test_asyncapi_cli_rejects_a_dangling_schema_ref(tmp_path: Path) -> None:
    """The validation can fail: it resolves the relative `$ref`s to schemas/*.json."""
    copy = tmp_path / "events"
    shutil.copytree(EVENTS_DIR, copy)
    doc = document()
    message = next(iter(doc["components"]["messages"].values()))
    message["payload"]["schema"]["properties"]["data"]["$ref"] = "schemas/missing.json"
    (copy / "asyncapi.json").write_text(json.dumps(doc))
    code, diagnostics, output = validate(copy / "asyncapi.json", tmp_path)
    assert code != 0, output
    assert {d["code"] for d in diagnostics if d["severity"] == ERROR} == {"invalid-ref"}


def test_document_states_every_exchange_argument_and_the_parking_queue() -> None:
    binding = documented_binding()
    assert binding["exchange"] == {
        "name": EXCHANGE,
        "type": "topic",
        "durable": True,
        "autoDelete": False,
        "vhost": "/",
    }
    arguments = events_exchange_arguments(EXCHANGE)
    assert binding["x-arguments"] == arguments == {"alternate-exchange": "vrac.events.unrouted"}
    doc = document()
    for text in [doc["info"]["description"], *(c["description"] for c in doc["channels"].values())]:
        for key, value in {**arguments, **UNROUTED_QUEUE_ARGUMENTS}.items():
            assert f"`{key}: {value}`" in text
        assert f"`{EXCHANGE}{UNROUTED_SUFFIX}`" in text


def test_operations_are_what_the_platform_sends_and_payloads_say_their_format() -> None:
    doc = document()
    operations = doc["operations"]
    assert len(operations) == len(EVENT_CONTRACTS)
    for operation in operations.values():
        assert operation["action"] == "send"
        assert "bind your own" in operation["description"].lower()
    for message in doc["components"]["messages"].values():
        assert message["payload"]["schemaFormat"] == SCHEMA_FORMAT
        assert message["payload"]["schema"]["type"] == "object"


# Keywords that mean the same in JSON Schema draft-07 and 2020-12 (what pydantic writes).
# `$defs` is only a location in draft-07, which is all pydantic uses it for (`#/$defs/...`).
COMMON_KEYWORDS = {
    "$schema", "$id", "$ref", "$defs", "title", "description", "default", "type", "format",
    "enum", "const", "properties", "required", "additionalProperties", "items", "anyOf",
    "oneOf", "allOf", "minimum", "maximum", "minLength", "maxLength", "pattern", "minItems",
    "maxItems", "exclusiveMinimum", "exclusiveMaximum", "examples",
}  # fmt: skip


def schema_keywords(schema: Any) -> set[str]:
    if not isinstance(schema, dict):
        return set()
    found = set(schema)
    for key in ("properties", "$defs"):
        for sub in schema.get(key, {}).values():
            found |= schema_keywords(sub)
    for key in ("items", "additionalProperties"):
        found |= schema_keywords(schema.get(key))
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            found |= schema_keywords(sub)
    return found


def test_event_schemas_mean_the_same_in_draft_07() -> None:
    """The payloads are declared draft-07 (AsyncAPI 3.0 knows no 2020-12): pydantic's 2020-12
    output must stay within what both drafts read alike, or the declaration would lie."""
    for path in sorted((EVENTS_DIR / "schemas").glob("*.json")):
        extra = schema_keywords(json.loads(path.read_text())) - COMMON_KEYWORDS
        assert extra == set(), f"{path.name} uses {extra}"


async def test_declaring_the_exchange_as_documented_succeeds(
    amqp_url: str, events_exchange: str
) -> None:
    """The platform declares the exchange first; redeclaring it from the document (the per-test
    name standing for `vrac.events`) must not be refused."""
    binding = documented_binding()
    spec = binding["exchange"]
    documented_name = spec["name"]

    def renamed(value: Any) -> Any:
        # Argument values naming the exchange's companions follow the per-test name.
        if isinstance(value, str) and value.startswith(documented_name):
            return events_exchange + value.removeprefix(documented_name)
        return value

    arguments = {key: renamed(value) for key, value in binding["x-arguments"].items()}
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        await declare_events_exchange(channel, events_exchange)
        declared = await channel.declare_exchange(
            events_exchange,
            aio_pika.ExchangeType(spec["type"]),
            durable=spec["durable"],
            auto_delete=spec["autoDelete"],
            arguments=arguments,
        )
        assert declared.name == events_exchange

        # The same declaration without the documented arguments is refused: the test can fail.
        other = await connection.channel()
        with pytest.raises(aio_pika.exceptions.ChannelPreconditionFailed):
            await other.declare_exchange(
                events_exchange,
                aio_pika.ExchangeType(spec["type"]),
                durable=spec["durable"],
                auto_delete=spec["autoDelete"],
            )
    finally:
        await connection.close()
