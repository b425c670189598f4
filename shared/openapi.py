"""OpenAPI 3.1 documents built with apispec from the pydantic models the handlers use."""

import re
from collections.abc import Callable, Mapping
from typing import Annotated, Any, TypeVar

from aiohttp import web
from apispec import APISpec
from pydantic import BaseModel, BeforeValidator

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")
# What one status answers: a model (its JSON schema, application/json), a media type for a body
# that is not JSON ("text/csv", "application/pdf", "text/html"), or None for no body (204).
Answer = type[BaseModel] | str | None
PROBLEM_SCHEMA = {
    "type": "object",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "code": {"type": "string"},
        "detail": {"type": "string", "description": "French message"},
        "detail_en": {"type": "string", "description": "English message"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
}
# aiohttp's pattern for a `{name}` without a regex of its own.
DEFAULT_SEGMENT = "[^{}/]+"


def operation(
    summary: str,
    body: type[BaseModel] | None = None,
    response: Answer = None,
    status: int = 200,
    tags: list[str] | None = None,
    auth: bool = True,
    responses: Mapping[int, Answer] | None = None,
    query: type[BaseModel] | None = None,
) -> Callable[[F], F]:
    """Describe a handler for the OpenAPI document (the same models parse the request).

    `response`/`status` name the one success answer; an operation that can answer several
    (201 when it creates, 200 when it was already done) lists them all in `responses`.
    `query`: the model that parses the query string (its fields become query parameters)."""
    answers: dict[int, Answer] = dict(responses) if responses else {status: response}

    def mark(handler: F) -> F:
        handler.__openapi__ = {  # type: ignore[attr-defined]
            "summary": summary,
            "body": body,
            "response": response,
            "status": status,
            "responses": answers,
            "query": query,
            "tags": tags or [],
            "auth": auth,
        }
        return handler

    return mark


def _register(spec: APISpec, model: type[BaseModel]) -> dict[str, str]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in schema.pop("$defs", {}).items():
        if name not in spec.components.schemas:
            spec.components.schema(name, definition)
    if model.__name__ not in spec.components.schemas:
        spec.components.schema(model.__name__, schema)
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _answer(spec: APISpec, answer: Answer) -> dict[str, Any]:
    described: dict[str, Any] = {"description": "OK"}
    if isinstance(answer, str):
        schema: dict[str, Any] = {"type": "string"}
        if not answer.startswith("text/"):
            schema["format"] = "binary"
        described["content"] = {answer: {"schema": schema}}
    elif answer is not None:
        described["content"] = {"application/json": {"schema": _register(spec, answer)}}
    return described


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(by_alias=True)
    required = set(schema.get("required", []))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": field}
        for name, field in schema.get("properties", {}).items()
    ]


def build_openapi(app: web.Application, title: str, version: str = "1.0.0") -> dict[str, Any]:
    spec = APISpec(title=title, version=version, openapi_version="3.1.0")
    spec.components.schema("Problem", PROBLEM_SCHEMA)
    spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    paths: dict[str, dict[str, Any]] = {}
    for route in app.router.routes():
        meta = getattr(route.handler, "__openapi__", None)
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter")
        if meta is None or path is None or route.method == "HEAD":
            continue
        op: dict[str, Any] = {"summary": meta["summary"], "tags": meta["tags"], "responses": {}}
        pattern = info.get("pattern")
        params = path_parameters(path, pattern.pattern if pattern is not None else "")
        if meta.get("query") is not None:
            params += _query_parameters(meta["query"])
        if params:
            op["parameters"] = params
        if meta["auth"]:
            op["security"] = [{"bearer": []}]
        if meta["body"] is not None:
            op["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": _register(spec, meta["body"])}},
            }
        for status, answer in sorted(meta["responses"].items()):
            op["responses"][str(status)] = _answer(spec, answer)
        op["responses"]["default"] = {
            "description": "Problem",
            "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            },
        }
        paths.setdefault(path, {})[route.method.lower()] = op
    for path, operations in sorted(paths.items()):
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def path_parameters(path: str, regex: str = "") -> list[dict[str, Any]]:
    """The `{name}`s of a route's path (anywhere in a segment: `{order_id}.pdf`), with the regex
    the route gives them (`{message_id:\\d+}`) or, for an `…_id`, the UUID the handler expects."""
    patterns = _group_patterns(regex)
    params = []
    for name in re.findall(r"\{(\w+)\}", path):
        schema: dict[str, Any] = {"type": "string"}
        own = patterns.get(name, DEFAULT_SEGMENT)
        if own != DEFAULT_SEGMENT:
            schema["pattern"] = f"^(?:{own})$"
        elif name.endswith("_id"):
            schema["format"] = "uuid"
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return params


def _group_patterns(regex: str) -> dict[str, str]:
    """`(?P<name>…)` → `…` for each named group of a route's compiled pattern."""
    found: dict[str, str] = {}
    for match in re.finditer(r"\(\?P<(\w+)>", regex):
        depth, i, in_class = 1, match.end(), False
        while i < len(regex) and depth:
            ch = regex[i]
            if ch == "\\":
                i += 2
                continue
            if in_class:
                in_class = ch != "]"
            elif ch == "[":
                in_class = True
            elif ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
            i += 1
        found[match.group(1)] = regex[match.end() : i - 1]
    return found


def omit_null(schema: dict[str, Any]) -> None:
    """`json_schema_extra` of an optional field that may be left out but not sent as `null`
    (a PATCH of a name: absent means unchanged, `null` would mean removed and is refused)."""
    branches = schema.pop("anyOf", None)
    schema.pop("default", None)
    if branches is None:
        return
    kept = [b for b in branches if b.get("type") != "null"]
    if len(kept) == 1:
        schema.update(kept[0])
    else:
        schema["anyOf"] = kept


def json_number(value: T) -> T:
    """BeforeValidator of an integer field: a JSON number only (put it after the constraints:
    `Annotated[int, Interval(ge=0), BeforeValidator(json_number)]`)."""
    if isinstance(value, bool | str):
        raise ValueError("must be a JSON number / doit être un nombre")
    return value


JsonInt = Annotated[int, BeforeValidator(json_number)]
"""An integer as JSON Schema reads one: `5` and `5.0` (an integer-valued number), never `"5"` or
`true` (pydantic's lax int takes both, strict int refuses `5.0`)."""
