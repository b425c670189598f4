"""OpenAPI 3.1 documents built with apispec from the pydantic models the handlers use."""

from collections.abc import Callable
from typing import Any, TypeVar

from aiohttp import web
from apispec import APISpec
from pydantic import BaseModel

F = TypeVar("F", bound=Callable[..., Any])
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


def operation(
    summary: str,
    body: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    status: int = 200,
    tags: list[str] | None = None,
    auth: bool = True,
) -> Callable[[F], F]:
    """Describe a handler for the OpenAPI document (the same models parse the request)."""

    def mark(handler: F) -> F:
        handler.__openapi__ = {  # type: ignore[attr-defined]
            "summary": summary,
            "body": body,
            "response": response,
            "status": status,
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
        params = [
            {"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
            for p in _path_params(path)
        ]
        if params:
            op["parameters"] = params
        if meta["auth"]:
            op["security"] = [{"bearer": []}]
        if meta["body"] is not None:
            op["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": _register(spec, meta["body"])}},
            }
        ok: dict[str, Any] = {"description": "OK"}
        if meta["response"] is not None:
            ok["content"] = {"application/json": {"schema": _register(spec, meta["response"])}}
        op["responses"][str(meta["status"])] = ok
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


def _path_params(path: str) -> list[str]:
    names = []
    for part in path.split("/"):
        if part.startswith("{") and part.endswith("}"):
            names.append(part[1:-1].split(":")[0])
    return names
