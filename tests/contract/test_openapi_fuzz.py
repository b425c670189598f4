"""Every service's /openapi.json says what its API does: schemathesis 4 (the engine the CLI runs,
every check, every phase) against the four services as real processes, authenticated, with path
parameters naming data the test created. A failure is fixed in the spec when the spec is wrong,
in the service when the behaviour is; nothing is excluded.

How the services keep "a schema-valid request is accepted" (positive_data_acceptance: 2xx, or
401/403/404/409) without excluding anything:
- what JSON Schema can state is in the schema: free text refuses Cc, Cs, Zl and Zp in both accounts
  and ordering (shared/text.py, with the same rule as a `pattern`); a quantity is a string or
  number some product takes (a whole 1..99, or > 0 and ≤ 50 with 3 decimals at most); 422 stays
  the answer to what the schema refuses;
- what it cannot state is a 409 conflict problem (French and English) naming the fields: a rule
  between the values of one body (a distribution's dates; a correction naming a product twice:
  uniqueItems compares whole lines), or a refusal because of the state of a resource (an empty
  cart; a quantity only the other kind of product takes; a line total above the maximum);
- a purchase-order range whose `to` precedes `from` is an empty range (an empty purchase order):
  two query parameters cannot be related in the spec and 409 names no conflicting resource; the
  web refuses such a range in its own form with a French message;
- an unknown password-reset id or token is a 404 (accounts).

Run with `-s` to see `schemathesis: <service> <n> failures (<ops> operations, <calls> calls)`."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import schemathesis
from schemathesis.engine import events

from tests.support.api_stack import API_SERVICES, ApiData, start_api_stack
from tests.support.fault_stack import TIMEOUT, FaultStack

# Bounded so that the four services take well under 3 minutes on 2 cores; a fixed seed and
# deterministic generation make a CI failure reproducible.
MAX_EXAMPLES = 20
SEED = 20261101
SUCCESS = ("200", "201", "202", "204")


@pytest.fixture
async def api(
    database_url: str, amqp_url: str, events_exchange: str, tmp_path: Path
) -> AsyncIterator[ApiData]:
    stack = FaultStack(database_url, amqp_url, events_exchange, tmp_path)
    try:
        yield await start_api_stack(stack)
    finally:
        await stack.close()
        print(f"logs: {tmp_path}")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def engine_config(service: str, api: ApiData) -> dict[str, Any]:
    """The run as a schemathesis.toml would say it: all checks, every phase, the coordinator's
    token by default; the admin's for the association-admin operations, a service token for
    /internal/; join and leave on another group (leaving 3 Cocus would end the coordinator's
    access mid-run)."""
    parameters = {
        "group_id": str(api.group_id),
        "distribution_id": str(api.distribution_id),
        "product_id": str(api.product_id),
        "order_id": str(api.order_id),
        "user_id": str(api.member.user_id),
        "slot_id": str(api.slot_id),
        "slug": api.group_slug,
    }
    admin = bearer(api.admin.token)
    operations: list[dict[str, Any]] = [
        {"include-path-regex": "^/internal/", "headers": bearer(api.service_token)},
        {
            "include-path": "/v1/groups/{group_id}/members/me",
            "parameters": {"group_id": str(api.other_group_id)},
        },
        {"include-tag": "admin", "headers": admin},
    ]
    if service == "accounts":
        operations += [
            {"include-path": "/v1/groups", "include-method": "POST", "headers": admin},
            {"include-path": "/v1/groups/{group_id}", "include-method": "PATCH", "headers": admin},
            {"include-path": "/v1/groups/{group_id}/coordinators/{user_id}", "headers": admin},
        ]
    return {
        "base-url": api.urls[service],
        "seed": SEED,
        "headers": bearer(api.coordinator.token),
        "checks": {"enabled": True},
        "phases": {"enabled": True, "stateful": {"enabled": False}},
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "no-shrink": True},
        "parameters": parameters,
        "operations": operations,
        "request-timeout": 15,
    }


@dataclass
class Outcome:
    service: str
    operations: set[str] = field(default_factory=set)
    calls: int = 0
    # (operation, failure code, title) -> one message
    failures: dict[tuple[str, str, str], str] = field(default_factory=dict)

    def line(self) -> str:
        return (
            f"schemathesis: {self.service} {len(self.failures)} failures"
            f" ({len(self.operations)} operations, {self.calls} calls)"
        )


def run_schemathesis(service: str, url: str, api: ApiData) -> Outcome:
    config = schemathesis.Config.from_dict(engine_config(service, api))
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json", config=config)
    outcome = Outcome(service)
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.FatalError):
            raise event.exception
        if isinstance(event, events.NonFatalError):
            outcome.failures[(event.label, "error", type(event.value).__name__)] = str(event.value)
        if isinstance(event, events.ScenarioFinished):
            recorder = event.recorder
            if event.label:
                outcome.operations.add(event.label)
            outcome.calls += len(recorder.interactions)
            for checks in recorder.checks.values():
                for check in checks:
                    info = check.failure_info
                    if info is None:
                        continue
                    failure = info.failure
                    key = (failure.operation or recorder.label, failure.code, failure.title)
                    outcome.failures.setdefault(key, f"{failure.message}\n{info.code_sample}")
    return outcome


async def test_every_service_conforms_to_its_openapi(api: ApiData) -> None:
    outcomes = []
    for service in API_SERVICES:
        outcome = await asyncio.to_thread(run_schemathesis, service, api.urls[service], api)
        print(outcome.line())
        for (operation, code, title), message in sorted(outcome.failures.items()):
            print(f"  {code} {operation}: {title}\n    {message[:600]}")
        outcomes.append(outcome)
    assert all(o.operations for o in outcomes)
    assert [o.line() for o in outcomes if o.failures] == []


async def test_every_operation_declares_its_success_response_schema(api: ApiData) -> None:
    """Each operation documents at least one 2xx, and each 2xx with a body has a schema."""
    missing = []
    async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
        for service in API_SERVICES:
            async with session.get(f"{api.urls[service]}/openapi.json") as resp:
                document = await resp.json()
            for path, methods in document["paths"].items():
                for method, op in methods.items():
                    declared = [s for s in op["responses"] if s in SUCCESS]
                    if not declared:
                        missing.append(f"{service} {method.upper()} {path}: no success status")
                    for status in declared:
                        content = op["responses"][status].get("content", {})
                        if status != "204" and not any(
                            "schema" in media for media in content.values()
                        ):
                            missing.append(f"{service} {method.upper()} {path} {status}: no schema")
    assert missing == []
