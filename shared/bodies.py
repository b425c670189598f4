"""Parse request bodies and parameters into pydantic models, or fail with a clear 4xx."""

import json
import uuid
from typing import Any, TypeVar

import orjson
from aiohttp import web
from pydantic import BaseModel, ValidationError

from shared.problems import Problem

M = TypeVar("M", bound=BaseModel)

MAX_BODY_BYTES = 64 * 1024


def validation_problem(exc: ValidationError) -> Problem:
    errors = [
        {
            "field": ".".join(str(p) for p in err["loc"]) or "body",
            "message": err["msg"],
            "type": err["type"],
        }
        for err in exc.errors(include_url=False, include_context=False, include_input=False)
    ]
    fields = ", ".join(e["field"] for e in errors)
    return Problem(
        422,
        "invalid-input",
        f"Certaines informations ne sont pas valides : {fields}.",
        f"Some fields are not valid: {fields}.",
        errors=errors,
    )


async def parse_json(request: web.Request, model: type[M]) -> M:
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise Problem(413, "body-too-large", "Requête trop volumineuse.", "Request body too large.")
    raw = await request.content.read(MAX_BODY_BYTES + 1)
    if len(raw) > MAX_BODY_BYTES:
        raise Problem(413, "body-too-large", "Requête trop volumineuse.", "Request body too large.")
    try:
        payload: Any = loads_json(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        raise Problem(
            400,
            "malformed-json",
            "Le corps de la requête n'est pas du JSON valide.",
            "The request body is not valid JSON.",
        ) from None
    if not isinstance(payload, dict):
        raise Problem(
            400,
            "malformed-json",
            "Le corps de la requête doit être un objet JSON.",
            "The request body must be a JSON object.",
        )
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise validation_problem(exc) from None


def loads_json(raw: bytes) -> Any:
    """orjson for what clients send (UTF-8 JSON); what it refuses goes to the standard library,
    which accepted a little more (a BOM, UTF-16, NaN, a lone surrogate escape): a body accepted
    before still is, and an invalid one still raises ValueError. (Integers beyond 64 bits come
    out as floats, and then fail the fields' bounds as they did.)"""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)


def path_uuid(request: web.Request, name: str) -> uuid.UUID:
    try:
        return uuid.UUID(request.match_info[name])
    except (ValueError, KeyError):
        raise Problem(
            404, "not-found", f"Identifiant « {name} » invalide.", f"Invalid identifier '{name}'."
        ) from None


def query_model(request: web.Request, model: type[M]) -> M:
    try:
        return model.model_validate(dict(request.query))
    except ValidationError as exc:
        raise validation_problem(exc) from None
