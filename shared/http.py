"""aiohttp app factory: problem+json errors, request ids, health, metrics, OpenAPI, shutdown,
gzip (shared.compression), JSON answers written by orjson."""

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import orjson
import structlog
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel

from shared.compression import compress_answers
from shared.lifecycle import LIFECYCLE, OPERATIONS_PATHS, Lifecycle, event_loop_name
from shared.logging import get_logger
from shared.metrics import HTTP_LATENCY, HTTP_REQUESTS
from shared.openapi import build_openapi
from shared.problems import Problem, problem_response

log = get_logger(__name__)

SERVICE_NAME = web.AppKey("service_name", str)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _route_name(request: web.Request) -> str:
    resource = request.match_info.route.resource
    if resource is None:
        return "unmatched"
    info = resource.get_info()
    return str(info.get("path") or info.get("formatter") or "unmatched")


@web.middleware
async def observe_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Requests and latency per route; while draining, every answer closes its connection."""
    lifecycle = request.app[LIFECYCLE]
    if not lifecycle.serves_api and request.path not in OPERATIONS_PATHS:
        # A `worker` serves its probes and metrics only.
        return problem_response(
            Problem(404, "not-found", "Introuvable", "Not found: this process is a worker"),
            request.path,
        )
    service = request.app[SERVICE_NAME]
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        if lifecycle.draining:
            response.force_close()
        return response
    except web.HTTPException as exc:
        status = exc.status
        if lifecycle.draining:
            exc.force_close()
        raise
    finally:
        route = _route_name(request)
        HTTP_REQUESTS.labels(service, request.method, route, str(status)).inc()
        HTTP_LATENCY.labels(service, request.method, route).observe(time.perf_counter() - started)


@web.middleware
async def request_context(request: web.Request, handler: Handler) -> web.StreamResponse:
    request_id = request.headers.get("X-Request-Id") or uuid.uuid4().hex
    if len(request_id) > 64 or not request_id.replace("-", "").isalnum():
        request_id = uuid.uuid4().hex
    structlog.contextvars.bind_contextvars(request_id=request_id)
    try:
        response = await _handle_with_problems(request, handler)
        response.headers["X-Request-Id"] = request_id
        return response
    finally:
        structlog.contextvars.unbind_contextvars("request_id")


# What a lost or refused database connection raises (asyncpg's InternalClientError: a connection
# whose server end was terminated mid-operation).
DATABASE_AWAY: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.InternalClientError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.InsufficientResourcesError,
    ConnectionError,
    TimeoutError,
)


async def _handle_with_problems(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except Problem as problem:
        return problem_response(problem, request.path)
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type == "application/problem+json":
            raise
        code = {404: "not-found", 405: "method-not-allowed", 413: "body-too-large"}.get(
            exc.status, "http-error"
        )
        return problem_response(
            Problem(
                exc.status,
                code,
                exc.reason,
                exc.reason,
                headers={k: v for k, v in exc.headers.items() if k in ("Allow", "Retry-After")},
            ),
            request.path,
        )
    except asyncio.CancelledError:
        raise
    except DATABASE_AWAY as exc:
        # A restart or failover of Postgres: the pool reconnects on its own, the client retries.
        log.warning("database_unavailable", path=request.path, error=repr(exc))
        return problem_response(
            Problem(
                503,
                "service-unavailable",
                "Service momentanément indisponible, réessayez dans un instant.",
                "Service temporarily unavailable, please retry shortly.",
                headers={"Retry-After": "2"},
            ),
            request.path,
        )
    except Exception:
        log.exception("unhandled_error", path=request.path, method=request.method)
        return problem_response(
            Problem(
                500,
                "internal-error",
                "Erreur interne, réessayez dans un instant.",
                "Internal error, please retry shortly.",
            ),
            request.path,
        )


async def healthz(_request: web.Request) -> web.Response:
    return json_ok({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Live state only (no connection opened per probe): see shared.lifecycle."""
    lifecycle = request.app[LIFECYCLE]
    ready = lifecycle.ready()
    body = {
        "status": "ready" if ready else ("draining" if lifecycle.draining else "not-ready"),
        "role": lifecycle.role,
        "checks": lifecycle.state(),
    }
    return json_ok(body, status=200 if ready else 503)


async def _export_lifecycle_metrics(app: web.Application) -> None:
    app[LIFECYCLE].export_metrics()  # at start-up, once the role is set


def install_operations(app: web.Application, service: str) -> None:
    """The probes and the scrape every process serves, whatever its role."""
    app[SERVICE_NAME] = service
    app[LIFECYCLE] = Lifecycle(service)
    app.on_startup.append(_export_lifecycle_metrics)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)


async def metrics(_request: web.Request) -> web.Response:
    response = web.Response(body=generate_latest())
    response.content_type = CONTENT_TYPE_LATEST.split(";")[0]
    return response


def create_app(service: str, title: str, client_max_size: int = 1024 * 1024) -> web.Application:
    app = web.Application(
        middlewares=[compress_answers, observe_requests, request_context],
        client_max_size=client_max_size,
    )
    install_operations(app, service)

    async def openapi(request: web.Request) -> web.Response:
        return json_ok(build_openapi(request.app, title))

    app.router.add_get("/openapi.json", openapi)
    return app


async def serve(
    app: web.Application,
    host: str,
    port: int,
    drain_seconds: float = 5.0,
    shutdown_timeout: float = 20.0,
) -> None:
    """Serve until SIGTERM/SIGINT, then drain: /readyz answers 503 at once while requests are
    still served for `drain_seconds` (the load balancer takes the replica out), then stop
    accepting, finish in-flight requests and messages, close idle keep-alive connections and
    clean up — all within `shutdown_timeout` s of the signal, or exit 1."""
    lifecycle = app[LIFECYCLE]
    drain = drain_seconds if lifecycle.serves_api else 0.0
    # What is left after the drain: in-flight requests get most of it, the clean-up the rest.
    requests_grace = max(1.0, (shutdown_timeout - drain) * 0.6)
    # Before anything is announced: a supervisor (or a test) that sends SIGTERM as soon as it
    # reads `service_listening` must get the drain, not the default handler's instant death.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    runner = web.AppRunner(
        app, shutdown_timeout=requests_grace, access_log=None, handle_signals=False
    )
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_address=True)
    await site.start()
    log.info(
        "service_listening",
        host=host,
        port=port,
        role=lifecycle.role,
        event_loop=event_loop_name(),  # `uvloop` unless turned off (shared.lifecycle)
    )
    await stop.wait()
    # One SIGTERM starts the shutdown; a repeated one (some supervisors send two) must not kill
    # the process mid-drain or during interpreter exit: the watchdog bounds the time instead.
    loop.remove_signal_handler(signal.SIGTERM)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    watchdog = loop.call_later(shutdown_timeout, _exit_late, shutdown_timeout)
    lifecycle.start_draining()
    log.info("service_draining", seconds=drain, role=lifecycle.role)
    if drain > 0:
        await asyncio.sleep(drain)
    log.info("service_stopping")
    await runner.cleanup()
    watchdog.cancel()
    log.info("service_stopped")


def _exit_late(shutdown_timeout: float) -> None:
    log.error("shutdown_timeout_exceeded", seconds=shutdown_timeout)
    sys.stdout.flush()
    os._exit(1)


def json_ok(payload: Any, status: int = 200) -> web.Response:
    """A JSON answer (`application/json; charset=utf-8`, as web.json_response gives)."""
    return _json_answer(dumps_json(payload), status)


def model_ok(model: BaseModel, status: int = 200) -> web.Response:
    """A response model as JSON, written by pydantic in one pass: the same bytes as
    `json_ok(model.model_dump(mode="json"))` (tests/unit/test_json_and_loop.py) without building
    the intermediate dicts (a slot list of 28: 56 → 37 µs)."""
    return _json_answer(model.model_dump_json().encode(), status)


def _json_answer(body: bytes, status: int) -> web.Response:
    return web.Response(body=body, status=status, content_type="application/json", charset="utf-8")


# orjson writes UTF-8 (as json.dumps(ensure_ascii=False) did) and UUIDs, str/int enums and
# non-str keys as json.dumps did. Dates, times and dataclasses go to `str`, as before: orjson's
# own forms differ (`T` instead of a space between date and time, objects instead of reprs).
# Decimals, sets and anything else unknown were `str` and stay so. What differs: no blank after
# `,` and `:`, NaN written `null` (json.dumps wrote `NaN`, which is not JSON), and a plain Enum
# (none in this code; str and int enums are unchanged) written as its value instead of `E.NAME`.
_JSON_OPTIONS = (
    orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
)


def _as_json_dumps_did(value: Any) -> Any:
    # orjson leaves tuple subclasses (named tuples) to `default`; json.dumps wrote them as lists.
    return list(value) if isinstance(value, tuple) else str(value)


def dumps_json(value: Any) -> bytes:
    try:
        return orjson.dumps(value, default=_as_json_dumps_did, option=_JSON_OPTIONS)
    except orjson.JSONEncodeError:
        # Integers beyond 64 bits: written by the standard library, as before.
        return json.dumps(value, ensure_ascii=False, default=str).encode()
