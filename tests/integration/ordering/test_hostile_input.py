"""Hostile input on ordering's API (issue 11): unbounded windows, control characters, CSV formulas.
Every refusal is a problem+json naming the field (422 for what the schema states, 409 for a rule
between values such as a distribution's dates), and nothing is stored."""

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.integration.ordering.conftest import Ordering


def _window(**shift: timedelta) -> dict[str, Any]:
    now = datetime.now(UTC)
    times = {
        "opens_at": now - timedelta(hours=1),
        "closes_at": now + timedelta(days=1),
        "starts_at": now + timedelta(days=2),
        "ends_at": now + timedelta(days=2, hours=7),
    }
    for name, delta in shift.items():
        times[name] = times[name] + delta
    return {
        **{k: v.isoformat() for k, v in times.items()},
        "place_name": "Centre social",
        "place_address": "23 rue Georges Lyvet 69200 Vénissieux",
    }


def _fields(problem: dict[str, Any]) -> set[str]:
    return {e["field"] for e in problem.get("errors", [])}


async def _count(ordering: Ordering, table: str, group_id: uuid.UUID) -> int:
    rows = await ordering.sql(f"SELECT count(*) AS n FROM {table} WHERE group_id = $1", group_id)
    return int(rows[0]["n"])


WINDOWS = [
    # A 100-year pick-up window: logistics would cut it into millions of slots.
    pytest.param("ends_at", _window(ends_at=timedelta(days=365 * 100)), id="100-years"),
    pytest.param("ends_at", _window(ends_at=timedelta(hours=17, minutes=1)), id="24h-and-1min"),
    pytest.param(
        "opens_at",
        _window(
            opens_at=timedelta(days=730),
            closes_at=timedelta(days=730),
            starts_at=timedelta(days=730),
            ends_at=timedelta(days=730),
        ),
        id="opens-in-2-years",
    ),
    pytest.param(
        "starts_at",
        _window(
            closes_at=timedelta(days=365 * 100),
            starts_at=timedelta(days=365 * 100),
            ends_at=timedelta(days=365 * 100),
        ),
        id="open-now-distribution-in-100-years",
    ),
]


@pytest.mark.parametrize(("field", "window"), WINDOWS)
async def test_unbounded_distribution_windows_are_refused(
    ordering: Ordering, field: str, window: dict[str, Any]
) -> None:
    group = await ordering.new_group()
    before = await _count(ordering, "distributions", group.id)
    problem = await ordering.call(
        "POST", f"/v1/groups/{group.id}/distributions", group.coordinator_token, window, expect=409
    )
    assert problem["status"] == 409
    assert field in _fields(problem)
    assert await _count(ordering, "distributions", group.id) == before


async def test_the_longest_accepted_window_is_24_hours(ordering: Ordering) -> None:
    group = await ordering.new_group()
    await ordering.call(
        "POST",
        f"/v1/groups/{group.id}/distributions",
        group.coordinator_token,
        _window(ends_at=timedelta(hours=17)),
        expect=201,
    )


PRODUCT = {"name": "Savon", "category": "Hygiène", "unit_label": "1 pièce", "unit_price_cents": 300}
BAD_TEXT = ["Sa\x00von", "Sa\rvon", "Sa\tvon", "Sa\x85von", "Sa\u2028von"]


@pytest.mark.parametrize("field", ["name", "category", "unit_label"])
@pytest.mark.parametrize("bad", BAD_TEXT)
async def test_control_characters_in_product_fields_get_422(
    ordering: Ordering, field: str, bad: str
) -> None:
    group = await ordering.new_group()
    base = f"/v1/groups/{group.id}/products"
    before = await _count(ordering, "products", group.id)
    problem = await ordering.call(
        "POST", base, group.coordinator_token, {**PRODUCT, field: bad}, expect=422
    )
    assert _fields(problem) == {field}
    assert problem["code"] == "invalid-input"
    assert await _count(ordering, "products", group.id) == before
    lessive = group.products["Lessive 1 L"]
    problem = await ordering.call(
        "PATCH", f"{base}/{lessive}", group.coordinator_token, {field: bad}, expect=422
    )
    assert _fields(problem) == {field}
    rows = await ordering.sql("SELECT name FROM products WHERE id = $1", uuid.UUID(lessive))
    assert rows[0]["name"] == "Lessive 1 L"


@pytest.mark.parametrize("field", ["place_name", "place_address"])
async def test_control_characters_in_the_place_get_422(ordering: Ordering, field: str) -> None:
    group = await ordering.new_group()
    before = await _count(ordering, "distributions", group.id)
    problem = await ordering.call(
        "POST",
        f"/v1/groups/{group.id}/distributions",
        group.coordinator_token,
        {**_window(), field: "Centre\x00social"},
        expect=422,
    )
    assert _fields(problem) == {field}
    assert await _count(ordering, "distributions", group.id) == before


async def _validated_order(ordering: Ordering, group: Any, product: str) -> tuple[str, uuid.UUID]:
    dist = f"/v1/groups/{group.id}/distributions/{group.distribution}"
    user = uuid.uuid4()
    token = ordering.member_token(group.id, user)
    await ordering.call(
        "POST", f"{dist}/cart/lines", token, {"product_id": product, "quantity": "1"}, expect=200
    )
    order = await ordering.call("POST", f"{dist}/order/validate", token, {}, expect=201)
    return str(order["order_id"]), user


@pytest.mark.parametrize("note", ["rup\x00ture", "rup\x7fture", "rup\x1bture", "a\u2029b"])
async def test_control_characters_in_a_correction_note_get_422(
    ordering: Ordering, note: str
) -> None:
    group = await ordering.new_group()
    lessive = group.products["Lessive 1 L"]
    order_id, user = await _validated_order(ordering, group, lessive)
    problem = await ordering.call(
        "POST",
        f"/v1/groups/{group.id}/orders/{order_id}/corrections",
        group.coordinator_token,
        {"lines": [{"product_id": lessive, "quantity": "0"}], "note": note},
        expect=422,
    )
    assert _fields(problem) == {"note"}
    ledger = await ordering.call(
        "GET", f"/v1/groups/{group.id}/members/{user}/ledger", group.coordinator_token, expect=200
    )
    assert [e["kind"] for e in ledger["entries"]] == ["order"]
    # A multi-line note is what a note is for: newlines (CRLF from a form too) are kept as \n.
    await ordering.call(
        "POST",
        f"/v1/groups/{group.id}/orders/{order_id}/corrections",
        group.coordinator_token,
        {"lines": [{"product_id": lessive, "quantity": "0"}], "note": "rupture\r\nde stock"},
        expect=200,
    )


FORMULAS = [
    "=1+1",
    "+1+1",
    "-1+1",
    "@SUM(A1)",
    " =1+1",
    "\u00a0=1+1",
    "  +cmd|' /C calc'!A0",
]


async def test_csv_exports_neutralise_formulas(ordering: Ordering) -> None:
    group = await ordering.new_group()
    base = f"/v1/groups/{group.id}"
    ids = []
    for index, name in enumerate(FORMULAS):
        created = await ordering.call(
            "POST",
            f"{base}/products",
            group.coordinator_token,
            {**PRODUCT, "name": name, "unit_label": f"@u{index}"},
            expect=201,
        )
        ids.append(created["product_id"])
    dist = await ordering.call(
        "POST",
        f"{base}/distributions",
        group.coordinator_token,
        {**_window(), "products": [{"product_id": p} for p in ids]},
        expect=201,
    )
    path = f"{base}/distributions/{dist['distribution_id']}"
    token = ordering.member_token(group.id)
    for product_id in ids:
        await ordering.call(
            "POST", f"{path}/cart/lines", token, {"product_id": product_id}, expect=200
        )
    await ordering.call("POST", f"{path}/order/validate", token, {}, expect=201)
    for report in ("orders.csv", "purchase-order.csv", "sheet.csv"):
        resp = await ordering.client.get(
            f"{path}/{report}", headers=ordering.auth(group.coordinator_token)
        )
        assert resp.status == 200
        rows = list(csv.reader(io.StringIO(await resp.text()), delimiter=";"))
        cells = [cell for row in rows[1:] for cell in row]
        dangerous = [
            c for c in cells if c.lstrip()[:1] in ("=", "+", "-", "@") or c[:1] in ("\t", "\r")
        ]
        assert dangerous == [], (report, dangerous)
        assert any(c == "'=1+1" for c in cells) or report == "sheet.csv"
