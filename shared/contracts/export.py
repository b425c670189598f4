"""Generate the integrators' documentation of the events: one JSON Schema per event type and an
AsyncAPI 3.0 document. `python -m shared.contracts.export` rewrites docs/events/; a contract test
fails when the committed files differ from what the models generate."""

import json
from pathlib import Path
from typing import Any

from shared.contracts import EVENT_CONTRACTS

ROOT = Path(__file__).resolve().parents[2]
EVENTS_DIR = ROOT / "docs" / "events"
EXCHANGE = "vrac.events"


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
            "payload": envelope_schema(routing_key),
            "bindings": {"amqp": {"messageType": routing_key, "bindingVersion": "0.3.0"}},
        }
        channels[name] = {
            "address": routing_key,
            "messages": {name: {"$ref": f"#/components/messages/{name}"}},
            "bindings": {
                "amqp": {
                    "is": "routingKey",
                    "exchange": {
                        "name": EXCHANGE,
                        "type": "topic",
                        "durable": True,
                        "autoDelete": False,
                        "vhost": "/",
                    },
                    "bindingVersion": "0.3.0",
                }
            },
        }
        operations[f"receive_{name}"] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{name}"},
            "summary": f"Bind your own queue to {EXCHANGE} with routing key {routing_key}",
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
                "version published beside the old one. Contact details never travel in events."
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
