"""orjson writes the same JSON answers and log lines as json.dumps did, reads what json.loads read,
and every service process runs on uvloop unless VRAC_UVLOOP says otherwise."""

import asyncio
import dataclasses
import enum
import json
import os
import signal
import subprocess
import sys
import uuid
from collections import namedtuple
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from shared.bodies import loads_json
from shared.http import dumps_json, json_ok, model_ok
from shared.lifecycle import uvloop_wanted
from shared.logging import render_json
from tests.support.processes import ROOT, free_port, start_logged


class Kind(enum.StrEnum):
    REMINDER = "reminder"


class Level(enum.IntEnum):
    HIGH = 3


@dataclasses.dataclass
class Line:
    quantity: int


Slot = namedtuple("Slot", "start end")  # a plain named tuple: what json.dumps wrote as a list

PARIS = timezone(timedelta(hours=1))
# What handlers hand to json_ok, one of each type json.dumps(default=str) met.
PAYLOADS: dict[str, Any] = {
    "uuid": uuid.UUID("0b3c1f7e-6a2b-4c1d-9f7e-2a1b3c4d5e6f"),
    "aware datetime": datetime(2026, 3, 14, 9, 30, 5, 120, tzinfo=UTC),
    "paris datetime": datetime(2026, 3, 14, 9, 30, tzinfo=PARIS),
    "naive datetime": datetime(2026, 3, 14, 9, 30),
    "date": date(2026, 3, 14),
    "time": time(9, 30, 15),
    "decimal": Decimal("1.50"),
    "str enum": Kind.REMINDER,
    "int enum": Level.HIGH,
    "dataclass": Line(2),
    "named tuple": Slot(1, 2),
    "tuple": (1, "a"),
    "set": {3},
    "non-ascii": "Crème brûlée, 3 € — « Commande » ✓",
    "int keys": {1: "un", 2: "deux"},
    "nested": {"orders": [{"id": uuid.UUID(int=5), "total": Decimal("12.30"), "ok": True}]},
    "big integer": 2**70,
    "float": 0.1,
    "none": None,
}


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_answers_mean_what_json_dumps_wrote(name: str) -> None:
    payload = {"value": PAYLOADS[name]}
    before = json.dumps(payload, ensure_ascii=False, default=str)
    after = dumps_json(payload)
    assert json.loads(after) == json.loads(before)


def test_dates_and_decimals_are_written_exactly_as_before() -> None:
    moment = datetime(2026, 3, 14, 9, 30, 5, 120, tzinfo=UTC)
    written = json.loads(dumps_json({"at": moment, "day": moment.date(), "kg": Decimal("0.500")}))
    # str(datetime): a space between date and time, as json.dumps(default=str) gave.
    assert written == {"at": "2026-03-14 09:30:05.000120+00:00", "day": "2026-03-14", "kg": "0.500"}


def test_non_ascii_is_written_as_utf8() -> None:
    text = "Épicerie « Vrac » — 3 €"
    body = dumps_json({"name": text})
    assert text.encode() in body
    assert b"\\u" not in body


def test_json_ok_keeps_the_content_type_and_status() -> None:
    response = json_ok({"name": "Lessive", "price": Decimal("2.25")}, 201)
    assert response.status == 201
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert isinstance(response.body, bytes)
    assert json.loads(response.body) == {"name": "Lessive", "price": "2.25"}


@pytest.mark.parametrize(
    "raw",
    [
        b'{"product_id": "0b3c1f7e-6a2b-4c1d-9f7e-2a1b3c4d5e6f", "quantity": "1.5"}',
        '{"note": "crème « fraîche »", "n": -0.0, "big": 99999999999999999999}'.encode(),
        b'{"a": 1, "a": 2}',
        b"  [1, 2.5e3, null, true]  ",
        # What orjson refuses and json.loads accepted: still accepted, read the same.
        '\ufeff{"bom": 1}'.encode(),
        '{"utf16": "é"}'.encode("utf-16"),
        b'{"x": NaN}',
        b'{"lone": "\\ud800"}',
    ],
)
def test_bodies_are_read_as_json_loads_read_them(raw: bytes) -> None:
    expected = json.loads(raw)
    got = loads_json(raw)
    if raw == b'{"x": NaN}':
        assert got["x"] != got["x"] and expected["x"] != expected["x"]  # both NaN
    elif b"99999999999999999999" in raw:
        # orjson reads integers beyond 64 bits as floats; every integer field is bounded far below.
        assert got["big"] == pytest.approx(expected["big"])
        assert {k: v for k, v in got.items() if k != "big"} == {
            k: v for k, v in expected.items() if k != "big"
        }
    else:
        assert got == expected


@pytest.mark.parametrize("raw", [b"{", b'{"a": 1,}', b"\xff\xfe\xfa", b"", b'{"a": "\x00"}'])
def test_invalid_bodies_still_raise_value_error(raw: bytes) -> None:
    with pytest.raises(ValueError):
        loads_json(raw)


def test_log_lines_are_json_with_plain_identifiers() -> None:
    user = uuid.uuid4()
    line = render_json(
        {"event": "order_validated", "user_id": user, "amount": Decimal("2.5"), "note": "été"},
        default=repr,  # what structlog passes; the line has its own fallback
    )
    record = json.loads(line)
    assert record == {
        "event": "order_validated",
        "user_id": str(user),
        "amount": "Decimal('2.5')",  # unknown types: their repr, as structlog's fallback gave
        "note": "été",
    }
    assert "été" in line


def test_a_log_line_never_fails() -> None:
    record = json.loads(render_json({"event": "huge", "count": 2**70, "what": object()}))
    assert record["count"] == 2**70
    assert record["what"].startswith("<object object")


@pytest.mark.parametrize(
    ("value", "wanted"),
    [(None, True), ("1", True), ("true", True), ("0", False), ("false", False), (" Off ", False)],
)
def test_the_uvloop_switch(value: str | None, wanted: bool) -> None:
    environ = {} if value is None else {"VRAC_UVLOOP": value}
    assert uvloop_wanted(environ) is wanted


def environment(**overrides: str) -> dict[str, str]:
    """This environment without any VRAC_UVLOOP of its own, plus `overrides`."""
    env = {k: v for k, v in os.environ.items() if k != "VRAC_UVLOOP"}
    return {**env, **overrides}


def loop_of_a_process(**env: str) -> str:
    """The loop shared.lifecycle.run_event_loop runs a process's main coroutine on."""
    script = (
        "from shared.lifecycle import event_loop_name, run_event_loop\n"
        "async def main() -> str:\n"
        "    return event_loop_name()\n"
        "print(run_event_loop(main()))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=environment(**env),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.strip()


def test_processes_run_on_uvloop_unless_turned_off() -> None:
    assert loop_of_a_process() == "uvloop"
    assert loop_of_a_process(VRAC_UVLOOP="0") == "asyncio"


def listening_record(log: Path) -> dict[str, Any] | None:
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    found = [json.loads(line) for line in lines if '"service_listening"' in line]
    return dict(found[0]) if found else None


async def listening_line(log: Path, process: asyncio.subprocess.Process) -> dict[str, Any]:
    for _ in range(600):
        record = listening_record(log)
        if record is not None:
            return record
        if process.returncode is not None:
            break
        await asyncio.sleep(0.1)
    raise AssertionError(f"no service_listening line in {log}")


@pytest.mark.parametrize(("switch", "loop"), [(None, "uvloop"), ("false", "asyncio")])
async def test_a_started_service_says_its_loop(
    database_url: str, tmp_path: Path, switch: str | None, loop: str
) -> None:
    env = environment(
        LOGISTICS_DATABASE_URL=database_url,
        LOGISTICS_PORT=str(free_port()),
        LOGISTICS_LOG_LEVEL="INFO",
        LOGISTICS_DRAIN_SECONDS="0",
        **({} if switch is None else {"VRAC_UVLOOP": switch}),
    )
    log = tmp_path / "logistics.log"
    process = await start_logged("logistics", env, log, "api")
    try:
        line = await listening_line(log, process)
        assert line["role"] == "api"
        assert line["event_loop"] == loop
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 30)
    assert process.returncode == 0, f"see {log}"


class _Line(BaseModel):
    product: str
    quantity: Decimal
    at: datetime
    day: date


class _Answer(BaseModel):
    id: uuid.UUID
    lines: list[_Line]
    mine: uuid.UUID | None
    note: str | None = None
    count: int
    share: float
    tags: dict[str, int]


def test_a_response_model_is_written_as_json_ok_wrote_its_dump():
    answer = _Answer(
        id=PAYLOADS["uuid"],
        lines=[
            _Line(
                product=PAYLOADS["non-ascii"],
                quantity=Decimal("0.250"),
                at=PAYLOADS[name],
                day=date(2026, 3, 14),
            )
            for name in ("aware datetime", "paris datetime", "naive datetime")
        ],
        mine=None,
        count=2**40,
        share=0.1,
        tags={"« a »": 1},
    )
    written = model_ok(answer, 201)
    assert written.status == 201
    assert written.content_type == "application/json" and written.charset == "utf-8"
    assert written.body == json_ok(answer.model_dump(mode="json")).body
