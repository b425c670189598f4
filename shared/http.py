"""aiohttp app factory: problem+json errors, request ids, health, metrics, OpenAPI, shutdown."""

import asyncio
import contextlib
import signal
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import structlog
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from shared.logging import get_logger
from shared.metrics import HTTP_LATENCY, HTTP_REQUESTS
from shared.openapi import build_openapi
from shared.problems import Problem, problem_response

log = get_logger(__name__)

ReadinessCheck = Callable[[], Awaitable[bool]]
SERVICE_NAME = web.AppKey("service_name", str)
READINESS = web.AppKey("readiness_checks", dict[str, ReadinessCheck])

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _route_name(request: web.Request) -> str:
    resource = request.match_info.route.resource
    if resource is None:
        return "unmatched"
    info = resource.get_info()
    return str(info.get("path") or info.get("formatter") or "unmatched")


@web.middleware
async def request_context(request: web.Request, handler: Handler) -> web.StreamResponse:
    request_id = request.headers.get("X-Request-Id") or uuid.uuid4().hex
    if len(request_id) > 64 or not request_id.replace("-", "").isalnum():
        request_id = uuid.uuid4().hex
    structlog.contextvars.bind_contextvars(request_id=request_id)
    service = request.app[SERVICE_NAME]
    started = time.perf_counter()
    status = 500
    try:
        response = await _handle_with_problems(request, handler)
        status = response.status
        response.headers["X-Request-Id"] = request_id
        return response
    finally:
        route = _route_name(request)
        HTTP_REQUESTS.labels(service, request.method, route, str(status)).inc()
        HTTP_LATENCY.labels(service, request.method, route).observe(time.perf_counter() - started)
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
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    checks = request.app[READINESS]
    results = {name: await check() for name, check in checks.items()}
    status = 200 if all(results.values()) else 503
    return web.json_response(
        {"status": "ready" if status == 200 else "not-ready", "checks": results}, status=status
    )


async def metrics(_request: web.Request) -> web.Response:
    response = web.Response(body=generate_latest())
    response.content_type = CONTENT_TYPE_LATEST.split(";")[0]
    return response


def create_app(service: str, title: str, client_max_size: int = 1024 * 1024) -> web.Application:
    app = web.Application(middlewares=[request_context], client_max_size=client_max_size)
    app[SERVICE_NAME] = service
    app[READINESS] = {}
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)

    async def openapi(request: web.Request) -> web.Response:
        return web.json_response(build_openapi(request.app, title))

    app.router.add_get("/openapi.json", openapi)
    return app


async def serve(app: web.Application, host: str, port: int, shutdown_timeout: float = 10.0) -> None:
    """Serve until SIGTERM/SIGINT; then stop accepting, finish in-flight work, clean up."""
    runner = web.AppRunner(app, shutdown_timeout=shutdown_timeout, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_address=True)
    await site.start()
    log.info("service_listening", host=host, port=port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("service_stopping")
    await runner.cleanup()
    log.info("service_stopped")


def json_ok(payload: Any, status: int = 200) -> web.Response:
    return web.json_response(payload, status=status, dumps=_dumps)


def _dumps(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, default=str)
