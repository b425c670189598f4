"""Tenant isolation on every route; coordinator views, payments, corrections, reports, events."""

import asyncio
import csv
import io
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import aio_pika

from shared.amqp import declare_events_exchange
from shared.contracts.accounts import UserErasedV1
from shared.envelope import new_event
from tests.integration.ordering.conftest import Group, Ordering, check_contracts


async def place_order(ordering: Ordering, group: Group, user: uuid.UUID) -> dict[str, Any]:
    token = ordering.member_token(group.id, user)
    dist = f"/v1/groups/{group.id}/distributions/{group.distribution}"
    await ordering.add_line(group, token, group.products["Lessive 1 L"], "1")
    await ordering.add_line(group, token, group.products["Amandes avec peau - en vrac"], "0.5")
    order: dict[str, Any] = await ordering.call(
        "POST", f"{dist}/order/validate", token, {}, expect=201
    )
    return order


def bodies(
    group: Group, user: uuid.UUID, other_group: uuid.UUID
) -> dict[tuple[str, str], dict[str, Any]]:
    lessive = group.products["Lessive 1 L"]
    now = datetime.now(UTC)
    return {
        ("POST", "/cart/lines"): {"product_id": lessive, "quantity": "1"},
        ("PUT", "/cart/lines/{product_id}"): {"quantity": "2"},
        ("POST", "/order/validate"): {},
        ("POST", "/products"): {
            "name": "X",
            "category": "Autres",
            "unit_label": "1 pièce",
            "unit_price_cents": 100,
        },
        ("PATCH", "/products/{product_id}"): {"unit_price_cents": 1},
        ("POST", "/products/copy"): {"target_group_id": str(other_group)},
        ("POST", "/distributions"): {
            "opens_at": now.isoformat(),
            "closes_at": (now + timedelta(days=1)).isoformat(),
            "starts_at": (now + timedelta(days=2)).isoformat(),
            "ends_at": (now + timedelta(days=2, hours=1)).isoformat(),
            "place_name": "P",
            "place_address": "A",
            "products": [{"product_id": lessive}],
        },
        ("POST", "/payments"): {
            "user_id": str(user),
            "amount_cents": 100,
            "method": "cash",
            "distribution_id": group.distribution,
        },
        ("POST", "/corrections"): {"lines": [{"product_id": lessive, "quantity": "0"}]},
    }


def body_for(
    table: dict[tuple[str, str], dict[str, Any]], method: str, template: str
) -> dict[str, Any] | None:
    for (m, suffix), body in table.items():
        if m == method and template.endswith(suffix):
            return body
    return None


def fill(template: str, group: Group, order_id: str, user: uuid.UUID, group_id: uuid.UUID) -> str:
    return (
        template.replace("{group_id}", str(group_id))
        .replace("{distribution_id}", group.distribution)
        .replace("{product_id}", group.products["Lessive 1 L"])
        .replace("{order_id}", order_id)
        .replace("{user_id}", str(user))
    )


async def test_tenant_isolation_on_every_route(ordering: Ordering):
    a, b = await ordering.new_group(), await ordering.new_group()
    b_user = uuid.uuid4()
    b_order = await place_order(ordering, b, b_user)
    a_member = ordering.member_token(a.id)
    routes = sorted(
        {
            (
                route.method,
                route.resource.get_info().get("formatter") or route.resource.get_info().get("path"),
            )
            for route in ordering.client.app.router.routes()
            if route.resource is not None
            and route.method != "HEAD"
            and str(route.resource.canonical).startswith("/v1/groups/")
        }
    )
    assert len(routes) >= 25
    table = bodies(b, b_user, a.id)
    before = await ordering.sql("SELECT count(*) AS n FROM ledger_entries")
    for method, template in routes:
        # A's people calling B's group: refused before anything is read.
        for token in (a_member, a.coordinator_token):
            path = fill(template, b, b_order["order_id"], b_user, b.id)
            resp = await ordering.client.request(
                method, path, headers=ordering.auth(token), json=body_for(table, method, template)
            )
            assert resp.status == 403, (method, template, resp.status)
        # A's coordinator using B's ids under A's group: nothing of B is found or changed.
        path = fill(template, b, b_order["order_id"], b_user, a.id)
        resp = await ordering.client.request(
            method,
            path,
            headers=ordering.auth(a.coordinator_token),
            json=body_for(table, method, template),
        )
        text = await resp.text()
        if resp.content_type == "application/problem+json":
            text = json.dumps({k: v for k, v in json.loads(text).items() if k != "instance"})
        assert b_order["order_id"] not in text and b.distribution not in text, (method, template)
        assert "Lessive" not in text or template.endswith(("/products", "/distributions")), (
            method,
            template,
            text,
        )
        if (
            "{distribution_id}" in template
            or "{order_id}" in template
            or ("{product_id}" in template)
        ):
            assert resp.status == 404, (method, template, resp.status, text)
    assert await ordering.sql("SELECT count(*) AS n FROM ledger_entries") == before
    b_orders = await ordering.sql("SELECT total_cents FROM orders WHERE group_id = $1", b.id)
    assert [r["total_cents"] for r in b_orders] == [968]

    # A member cannot read another member's order, nor use coordinator routes.
    a_other = uuid.uuid4()
    a_order = await place_order(ordering, a, a_other)
    await ordering.call(
        "GET", f"/v1/groups/{a.id}/orders/{a_order['order_id']}", a_member, expect=404
    )
    await ordering.call(
        "GET", f"/v1/groups/{a.id}/orders/{a_order['order_id']}.pdf", a_member, expect=404
    )
    for path in (
        "/products",
        f"/distributions/{a.distribution}/orders",
        f"/distributions/{a.distribution}/sheet",
        f"/members/{a_other}/ledger",
    ):
        await ordering.call("GET", f"/v1/groups/{a.id}{path}", a_member, expect=403)
    await ordering.call(
        "GET", "/v1/purchase-order?from=2020-01-01&to=2030-01-01", a.coordinator_token, expect=403
    )
    resp = await ordering.client.get(f"/v1/groups/{a.id}/distributions")
    assert resp.status == 401


async def test_coordinator_views_payments_corrections_and_events(ordering: Ordering, event_sink):
    group = await ordering.new_group(stock={"Lessive 1 L": 20})
    base = f"/v1/groups/{group.id}"
    dist = f"{base}/distributions/{group.distribution}"
    users = [uuid.uuid4(), uuid.uuid4()]
    orders = [await place_order(ordering, group, u) for u in users]
    coord = group.coordinator_token

    by_member = await ordering.call("GET", f"{dist}/orders", coord, expect=200)
    assert {o["user_id"] for o in by_member["orders"]} == {str(u) for u in users}
    by_product = await ordering.call("GET", f"{dist}/by-product", coord, expect=200)
    amandes = next(p for p in by_product["products"] if p["unit_label"] == "kg")
    assert amandes["quantity"] == "1" and amandes["total_cents"] == 2 * 743
    purchase = await ordering.call("GET", f"{dist}/purchase-order", coord, expect=200)
    assert purchase["total_cents"] == 2 * 968
    sheet = await ordering.call("GET", f"{dist}/sheet", coord, expect=200)
    assert {r["amount_due_cents"] for r in sheet["rows"]} == {968}

    cash = {
        "user_id": str(users[0]),
        "amount_cents": 968,
        "method": "cash",
        "distribution_id": group.distribution,
    }
    pay_1 = {"Idempotency-Key": "pay-1"}
    payment = await ordering.call(
        "POST", f"{base}/payments", coord, cash, headers=pay_1, expect=201
    )
    assert payment["balance_cents"] == 0
    # The same request again (same key): the same payment, not a second one.
    again = await ordering.call("POST", f"{base}/payments", coord, cash, headers=pay_1, expect=201)
    assert again["payment_id"] == payment["payment_id"]
    await ordering.call(
        "POST",
        f"{base}/payments",
        coord,
        {"user_id": str(users[0]), "amount_cents": 10, "method": "bitcoin"},
        expect=422,
    )
    paid_order = await ordering.call(
        "GET",
        f"{base}/orders/{orders[0]['order_id']}",
        ordering.member_token(group.id, users[0]),
        expect=200,
    )
    assert paid_order["paid"] is True
    sheet = await ordering.call("GET", f"{dist}/sheet", coord, expect=200)
    assert sorted(r["paid"] for r in sheet["rows"]) == [False, True]

    # Correction: the coordinator removes the second member's Lessive.
    lessive = group.products["Lessive 1 L"]
    corrections = await asyncio.gather(
        *(
            ordering.call(
                "POST",
                f"{base}/orders/{orders[1]['order_id']}/corrections",
                coord,
                {"lines": [{"product_id": lessive, "quantity": "0"}], "note": "rupture"},
                headers={"Idempotency-Key": "correction-1"},
                expect=200,
            )
            for _ in range(5)
        )
    )
    corrected = corrections[0]
    assert corrected["total_cents"] == 743
    assert all(c == corrected for c in corrections)
    # The same correction sent again without a key: the quantities are already there, no entry.
    await ordering.call(
        "POST",
        f"{base}/orders/{orders[1]['order_id']}/corrections",
        coord,
        {"lines": [{"product_id": lessive, "quantity": "0"}], "note": "rupture"},
        expect=200,
    )
    ledger = await ordering.call("GET", f"{base}/members/{users[1]}/ledger", coord, expect=200)
    assert [e["kind"] for e in ledger["entries"]] == ["correction", "order"]
    assert ledger["balance_cents"] == -743
    stock = await ordering.sql("SELECT stock FROM products WHERE id = $1", uuid.UUID(lessive))
    assert stock[0]["stock"] == 19
    mine = await ordering.call(
        "GET", f"{base}/me/ledger", ordering.member_token(group.id, users[1]), expect=200
    )
    assert (
        mine["balance_cents"]
        == -743
        == -sum(
            o["total_cents"]
            for o in (
                await ordering.call(
                    "GET", f"{base}/me/orders", ordering.member_token(group.id, users[1])
                )
            )["orders"]
        )
    )

    # Exports and print.
    for path in ("orders.csv", "purchase-order.csv", "sheet.csv"):
        resp = await ordering.client.get(f"{dist}/{path}", headers=ordering.auth(coord))
        assert resp.status == 200 and resp.headers["Content-Type"] == "text/csv; charset=utf-8"
        rows = list(csv.reader(io.StringIO(await resp.text()), delimiter=";"))
        assert len(rows) >= 2
    resp = await ordering.client.get(
        f"{base}/orders/{orders[0]['order_id']}.pdf",
        headers=ordering.auth(ordering.member_token(group.id, users[0])),
    )
    assert resp.status == 200 and resp.content_type == "application/pdf"
    assert (await resp.read()).startswith(b"%PDF")

    admin = ordering.issuer.issue(uuid.uuid4(), {}, admin=True)
    today = datetime.now(UTC).date()
    across = await ordering.call(
        "GET", f"/v1/purchase-order?from={today}&to={today + timedelta(days=5)}", admin, expect=200
    )
    assert across["total_cents"] == 968 + 743

    await event_sink.wait_for(1, type_="ordering.payment.recorded.v1")
    await event_sink.wait_for(1, type_="ordering.order.updated.v1")
    payments = [e for e in event_sink.events if e["type"] == "ordering.payment.recorded.v1"]
    assert len(payments) == 1 and payments[0]["data"]["amount_cents"] == 968
    check_contracts(event_sink.events)


async def test_distribution_dates_validated_and_catalog_copy(ordering: Ordering):
    a, b = await ordering.new_group(), await ordering.new_group()
    now = datetime.now(UTC)
    bad = {
        "opens_at": now.isoformat(),
        "closes_at": (now - timedelta(hours=1)).isoformat(),
        "starts_at": (now - timedelta(hours=2)).isoformat(),
        "ends_at": (now - timedelta(hours=3)).isoformat(),
        "place_name": "P",
        "place_address": "A",
    }
    problem = await ordering.call(
        "POST", f"/v1/groups/{a.id}/distributions", a.coordinator_token, bad, expect=409
    )
    assert {e["field"] for e in problem["errors"]} == {"closes_at", "starts_at", "ends_at"}
    both = ordering.issuer.issue(
        a.coordinator, {str(a.id): "coordinator", str(b.id): "coordinator"}
    )
    await ordering.call(
        "POST",
        f"/v1/groups/{a.id}/products/copy",
        a.coordinator_token,
        {"target_group_id": str(b.id)},
        expect=403,
    )
    copied = await ordering.call(
        "POST", f"/v1/groups/{a.id}/products/copy", both, {"target_group_id": str(b.id)}, expect=200
    )
    assert copied == {"copied": 0, "skipped": 4}
    target = uuid.uuid4()
    both = ordering.issuer.issue(
        a.coordinator, {str(a.id): "coordinator", str(target): "coordinator"}
    )
    copied = await ordering.call(
        "POST",
        f"/v1/groups/{a.id}/products/copy",
        both,
        {"target_group_id": str(target)},
        expect=200,
    )
    assert copied["copied"] == 4
    listing = await ordering.call("GET", f"/v1/groups/{target}/products", both, expect=200)
    assert len(listing["products"]) == 4

    # Ten copies at once into a new group (double clicks, several replicas): one set of products.
    target = uuid.uuid4()
    both = ordering.issuer.issue(
        a.coordinator, {str(a.id): "coordinator", str(target): "coordinator"}
    )
    answers = await asyncio.gather(
        *(
            ordering.call(
                "POST",
                f"/v1/groups/{a.id}/products/copy",
                both,
                {"target_group_id": str(target)},
                expect=200,
            )
            for _ in range(10)
        )
    )
    assert sorted(a["copied"] for a in answers) == [0] * 9 + [4]
    listing = await ordering.call("GET", f"/v1/groups/{target}/products", both, expect=200)
    assert len(listing["products"]) == 4


async def test_scheduler_announces_opened_and_closed_once(ordering: Ordering, event_sink):
    group = await ordering.new_group()
    opened = await event_sink.wait_for(1, type_="ordering.distribution.opened.v1")
    assert opened[0]["data"]["distribution_id"] == group.distribution
    await ordering.sql(
        "UPDATE distributions SET closes_at = now() - interval '1 second' WHERE id = $1",
        uuid.UUID(group.distribution),
    )
    closed = await event_sink.wait_for(1, type_="ordering.distribution.closed.v1")
    assert closed[0]["data"]["distribution_id"] == group.distribution
    await asyncio.sleep(0.6)
    types = [e["type"] for e in event_sink.events]
    assert types.count("ordering.distribution.opened.v1") == 1
    assert types.count("ordering.distribution.closed.v1") == 1
    check_contracts(event_sink.events)


async def test_user_erasure_anonymises_orders_and_keeps_amounts(
    ordering: Ordering, amqp_url, events_exchange
):
    group = await ordering.new_group()
    user = uuid.uuid4()
    order = await place_order(ordering, group, user)
    event = new_event(
        "accounts.user.erased.v1",
        "/accounts",
        UserErasedV1(user_id=user, group_ids=[group.id]),
        group_id=group.id,
    )
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        exchange = await declare_events_exchange(channel, events_exchange)
        for _ in range(2):  # delivered twice: handled once
            await exchange.publish(
                aio_pika.Message(
                    json.dumps(event.model_dump(mode="json")).encode(), message_id=str(event.id)
                ),
                routing_key="accounts.user.erased.v1",
            )
    finally:
        await connection.close()
    for _ in range(100):
        rows = await ordering.sql("SELECT user_id, total_cents FROM orders")
        if rows[0]["user_id"] != user:
            break
        await asyncio.sleep(0.1)
    assert rows[0]["user_id"] != user and rows[0]["total_cents"] == order["total_cents"]
    ledger = await ordering.sql("SELECT user_id, amount_cents FROM ledger_entries")
    assert [r["amount_cents"] for r in ledger] == [-968]
    assert all(r["user_id"] != user for r in ledger)
    # A token of the same second as the erasure is refused (shared.revocations): ask later.
    await asyncio.sleep(1.1)
    mine = await ordering.call(
        "GET", f"/v1/groups/{group.id}/me/orders", ordering.member_token(group.id, user), expect=200
    )
    assert mine["orders"] == []
