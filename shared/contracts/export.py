"""Generate the integrators' documentation of the events: one JSON Schema per event type and an
AsyncAPI 3.0 document. `python -m shared.contracts.export` rewrites docs/events/; a contract test
fails when the committed files differ from what the models generate."""

import json
from pathlib import Path
from typing import Any

from shared.amqp import UNROUTED_QUEUE_ARGUMENTS, UNROUTED_SUFFIX, events_exchange_arguments
from shared.contracts import EVENT_CONTRACTS

ROOT = Path(__file__).resolve().parents[2]
EVENTS_DIR = ROOT / "docs" / "events"
EXCHANGE = "vrac.events"
# AsyncAPI 3.0 knows no JSON Schema 2020-12 format. Pydantic writes 2020-12, but the event schemas
# only use keywords that mean the same in draft-07 (tests/contract/test_asyncapi_document.py
# checks it), so the payloads are declared as draft-07, the newest JSON Schema AsyncAPI 3.0 accepts.
SCHEMA_FORMAT = "application/schema+json;version=draft-07"


def _arguments_text(arguments: dict[str, Any]) -> str:
    return ", ".join(f"`{key}: {value}`" for key, value in arguments.items())


def exchange_binding() -> dict[str, Any]:
    """The AMQP channel binding of every channel: the exchange exactly as the platform declares it
    (`shared.amqp.declare_events_exchange`). The binding has no field for arguments, hence the
    `x-arguments` extension; without them a declaration fails with PRECONDITION_FAILED."""
    arguments = events_exchange_arguments(EXCHANGE)
    return {
        "is": "routingKey",
        "exchange": {
            "name": EXCHANGE,
            "type": "topic",
            "durable": True,
            "autoDelete": False,
            "vhost": "/",
        },
        "x-arguments": arguments,
        "bindingVersion": "0.3.0",
    }


def exchange_description() -> str:
    arguments = events_exchange_arguments(EXCHANGE)
    unrouted = EXCHANGE + UNROUTED_SUFFIX
    return (
        f"Published on the durable topic exchange `{EXCHANGE}` (vhost `/`), declared with the "
        f"arguments {_arguments_text(arguments)} (also in the binding's `x-arguments`). Declare "
        "it with exactly these arguments, or do not declare it at all (passive declaration): "
        "RabbitMQ refuses a declaration with different ones (PRECONDITION_FAILED). Events no "
        f"queue is bound for go to the fanout exchange `{unrouted}` and wait in the durable queue "
        f"`{unrouted}` ({_arguments_text(dict(UNROUTED_QUEUE_ARGUMENTS))}); that parking queue "
        "is the platform's, not a subscription."
    )


def envelope_schema(routing_key: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": "CloudEvents 1.0, structured mode (application/cloudevents+json)",
        "required": ["specversion", "id", "source", "type", "time", "datacontenttype", "data"],
        "properties": {
            "specversion": {"const": "1.0"},
            "id": {
                "type": "string",
                "format": "uuid",
                "description": "Unique per event; repeated in the AMQP message_id",
            },
            "source": {"type": "string", "description": "The publishing service, e.g. /ordering"},
            "type": {"const": routing_key, "description": "Also the routing key and AMQP type"},
            "time": {"type": "string", "format": "date-time"},
            "subject": {"type": "string"},
            "datacontenttype": {"const": "application/json"},
            "groupid": {
                "type": "string",
                "format": "uuid",
                "description": "The group the event belongs to, when it belongs to one",
            },
            "data": {"$ref": f"schemas/{routing_key}.json"},
        },
    }


def event_schemas() -> dict[str, dict[str, Any]]:
    schemas = {}
    for routing_key, model in sorted(EVENT_CONTRACTS.items()):
        schema = model.model_json_schema()
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = f"https://vrac-asso.org/events/{routing_key}.json"
        schema["title"] = routing_key
        schemas[routing_key] = schema
    return schemas


def asyncapi() -> dict[str, Any]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for routing_key, model in sorted(EVENT_CONTRACTS.items()):
        name = routing_key.replace(".", "_")
        messages[name] = {
            "name": routing_key,
            "title": routing_key,
            "summary": (model.__doc__ or routing_key).strip().splitlines()[0],
            "contentType": "application/cloudevents+json",
            "payload": {"schemaFormat": SCHEMA_FORMAT, "schema": envelope_schema(routing_key)},
            "bindings": {"amqp": {"messageType": routing_key, "bindingVersion": "0.3.0"}},
        }
        channels[name] = {
            "address": routing_key,
            "title": routing_key,
            "description": f"Routing key `{routing_key}`. {exchange_description()}",
            "messages": {name: {"$ref": f"#/components/messages/{name}"}},
            "bindings": {"amqp": exchange_binding()},
        }
        operations[f"send_{name}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{name}"},
            "summary": f"The platform publishes {routing_key} on {EXCHANGE}",
            "description": (
                f"Published persistent, at least once, with routing key `{routing_key}` and the "
                "AMQP `message_id` and `type` properties set to the event's `id` and `type`. "
                f"To receive it, bind your own durable queue to `{EXCHANGE}` with "
                f"`{routing_key}` or a pattern such as `{routing_key.split('.')[0]}.#`, and "
                "deduplicate on `id`. Never consume the platform's own queues."
            ),
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "VRAC group ordering — events",
            "version": "1.0.0",
            "description": (
                "Every state change that matters outside its service, published on the durable "
                "topic exchange `vrac.events` as CloudEvents 1.0 structured JSON, persistent, at "
                "least once (deduplicate on `id`). The routing key is the event type with its "
                "version. Within a version changes are additive only; a breaking change is a new "
                "version published beside the old one. Contact details never travel in events. "
                "The operations are the platform's (`send`: what it publishes); to subscribe, "
                "bind your own queue. " + exchange_description()
            ),
        },
        "defaultContentType": "application/cloudevents+json",
        "servers": {
            "broker": {"host": "127.0.0.1:5672", "protocol": "amqp", "protocolVersion": "0.9.1"}
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }


def rendered() -> dict[Path, str]:
    files = {EVENTS_DIR / "asyncapi.json": asyncapi()}
    for routing_key, schema in event_schemas().items():
        files[EVENTS_DIR / "schemas" / f"{routing_key}.json"] = schema
    return {
        path: json.dumps(doc, indent=2, ensure_ascii=False) + "\n" for path, doc in files.items()
    }


def write() -> None:
    for path, text in rendered().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


if __name__ == "__main__":
    write()
    print(f"wrote {len(EVENT_CONTRACTS)} event schemas and asyncapi.json to {EVENTS_DIR}")
