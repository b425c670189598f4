"""Cart, validation, stock, idempotency and ledger through the HTTP API (real Postgres/RabbitMQ)."""

import asyncio
import uuid
from typing import Any

import pytest

from tests.integration.ordering.conftest import Ordering, check_contracts

LOCKED = "Vous ne pouvez pas supprimer un produit une fois la commande validée."


def paths(group) -> tuple[str, str]:
    base = f"/v1/groups/{group.id}"
    return base, f"{base}/distributions/{group.distribution}"


async def test_tutorial_order_totals_ledger_and_events(ordering: Ordering, event_sink):
    group = await ordering.new_group()
    base, dist = paths(group)
    user = uuid.uuid4()
    token = ordering.member_token(group.id, user)

    listing = await ordering.call("GET", f"{base}/distributions", token, expect=200)
    assert [d["state"] for d in listing["distributions"]] == ["open"]
    offer = await ordering.call("GET", f"{dist}/offer", token, expect=200)
    by_name = {p["name"]: p for c in offer["categories"] for p in c["products"]}
    assert by_name["Batterie de cuisine - 8 ustensiles TEFAL"]["out_of_stock"] is True
    assert by_name["Lessive 1 L"]["price_cents"] == 225

    cart = await ordering.add_line(
        group, token, group.products["Amandes avec peau - en vrac"], "0,5"
    )
    assert cart["total_cents"] == 743
    assert cart["lines"][0]["quantity"] == "0.5"
    cart = await ordering.add_line(group, token, group.products["Lessive 1 L"], "1")
    assert cart["total_cents"] == 968

    order = await ordering.call(
        "POST", f"{dist}/order/validate", token, {"payment_method": "on_site"}, expect=201
    )
    assert order["total_cents"] == 968
    assert sorted(ln["line_total_cents"] for ln in order["lines"]) == [225, 743]
    assert order["paid"] is False and order["fees_cents"] == 0

    ledger = await ordering.call("GET", f"{base}/me/ledger", token, expect=200)
    assert ledger["balance_cents"] == -968
    mine = await ordering.call("GET", f"{base}/me/orders", token, expect=200)
    assert [o["total_cents"] for o in mine["orders"]] == [968]
    assert mine["orders"][0]["distribution"]["place_name"] == "Centre social Eugénie Cotton"
    assert ledger["balance_cents"] == -sum(o["total_cents"] for o in mine["orders"])

    validated = await event_sink.wait_for(1, type_="ordering.order.validated.v1")
    await event_sink.wait_for(1, type_="ordering.distribution.scheduled.v1")
    data = validated[0]["data"]
    assert data["total_cents"] == 968 and data["user_id"] == str(user)
    assert {ln["quantity"] for ln in data["lines"]} == {"0.5", "1"}
    check_contracts(event_sink.events)


BAD_QUANTITIES = ["1,2,3", "abc", "NaN", "1e400", "0", "-1", "0,0001", "", "1.5.", "  "]
OTHER_KIND: dict[str, list[object]] = {
    "Lessive 1 L": ["0,5", "1.5", 2.5],
    "Amandes avec peau - en vrac": ["51"],
}


@pytest.mark.parametrize("product", ["Amandes avec peau - en vrac", "Lessive 1 L"])
async def test_bad_quantities_are_refused_and_cart_unchanged(ordering: Ordering, product):
    group = await ordering.new_group()
    _, dist = paths(group)
    token = ordering.member_token(group.id)
    product_id = group.products[product]
    await ordering.add_line(group, token, product_id, "1")
    before = await ordering.call("GET", f"{dist}/cart", token, expect=200)
    bad: list[object] = [*BAD_QUANTITIES, -2, 0, 1e308 * 10, float("nan"), True, None]
    if product == "Lessive 1 L":
        bad += ["0,5", "1.5", 2.5, "100"]
    else:
        bad += ["51", "50,5", "0.0005"]
    for quantity in bad:
        resp = await ordering.client.post(
            f"{dist}/cart/lines",
            data=_json({"product_id": product_id, "quantity": quantity}),
            headers={**ordering.auth(token), "Content-Type": "application/json"},
        )
        # 409: a quantity the other kind of product takes ("0,5" of a product sold per piece).
        expected = 409 if quantity in OTHER_KIND[product] else 422
        assert resp.status == expected, (quantity, resp.status, await resp.text())
        problem = await resp.json()
        assert problem["detail"] and problem["detail_en"]
    for quantity in ["0,5", "abc"] if product == "Lessive 1 L" else ["abc", "0"]:
        resp = await ordering.client.put(
            f"{dist}/cart/lines/{product_id}",
            json={"quantity": quantity},
            headers=ordering.auth(token),
        )
        assert resp.status == (409 if quantity in OTHER_KIND[product] else 422)
    assert await ordering.call("GET", f"{dist}/cart", token, expect=200) == before


def _json(body: dict[str, Any]) -> str:
    import json

    return json.dumps(body, allow_nan=True)


async def test_unknown_out_of_stock_and_inactive_products(ordering: Ordering):
    group = await ordering.new_group()
    base, dist = paths(group)
    token = ordering.member_token(group.id)
    problem = await ordering.add_line(
        group, token, group.products["Batterie de cuisine - 8 ustensiles TEFAL"], "1", expect=409
    )
    assert problem["code"] == "out-of-stock"
    await ordering.add_line(group, token, str(uuid.uuid4()), "1", expect=404)
    await ordering.add_line(group, token, group.products["Dentifrice Fraise des bois"], "1")
    await ordering.call(
        "PATCH",
        f"{base}/products/{group.products['Dentifrice Fraise des bois']}",
        group.coordinator_token,
        {"active": False},
        expect=200,
    )
    problem = await ordering.call("POST", f"{dist}/order/validate", token, {}, expect=409)
    assert problem["code"] == "product-not-offered"
    await ordering.call("POST", f"{dist}/order/validate", token, {}, expect=409)
    assert await ordering.sql("SELECT * FROM orders") == []
    problem = await ordering.call(
        "POST", f"{dist}/order/validate", ordering.member_token(group.id), {}, expect=409
    )
    assert problem["code"] == "cart-empty"


async def test_after_validation_raise_allowed_lower_and_remove_refused(
    ordering: Ordering, event_sink
):
    group = await ordering.new_group()
    base, dist = paths(group)
    token = ordering.member_token(group.id)
    lessive = group.products["Lessive 1 L"]
    await ordering.add_line(group, token, lessive, 2)
    await ordering.call("POST", f"{dist}/order/validate", token, {}, expect=201)

    for quantity in ("1",):
        problem = await ordering.call(
            "PUT", f"{dist}/cart/lines/{lessive}", token, {"quantity": quantity}, expect=409
        )
        assert problem["detail"] == LOCKED and problem["code"] == "validated-line-locked"
    problem = await ordering.call("DELETE", f"{dist}/cart/lines/{lessive}", token, expect=409)
    assert problem["detail"] == LOCKED

    cart = await ordering.call(
        "PUT", f"{dist}/cart/lines/{lessive}", token, {"quantity": "3"}, expect=200
    )
    assert cart["total_cents"] == 675 and cart["validated_total_cents"] == 450
    await ordering.add_line(group, token, group.products["Amandes avec peau - en vrac"], "0.5")
    order = await ordering.call("POST", f"{dist}/order/validate", token, {}, expect=200)
    assert order["total_cents"] == 675 + 743
    ledger = await ordering.call("GET", f"{base}/me/ledger", token, expect=200)
    assert [e["kind"] for e in ledger["entries"]] == ["order_update", "order"]
    assert ledger["balance_cents"] == -order["total_cents"]
    updated = await event_sink.wait_for(1, type_="ordering.order.updated.v1")
    assert updated[0]["data"]["change"] == "member_added"
    assert updated[0]["data"]["total_cents"] == 1418
    check_contracts(event_sink.events)


async def test_order_one_second_after_closing_is_refused(ordering: Ordering):
    group = await ordering.new_group(stock={"Lessive 1 L": 10})
    _, dist = paths(group)
    token = ordering.member_token(group.id)
    lessive = group.products["Lessive 1 L"]
    await ordering.add_line(group, token, lessive, "2")
    await ordering.sql(
        "UPDATE distributions SET closes_at = now() - interval '1 second' WHERE id = $1",
        uuid.UUID(group.distribution),
    )
    problem = await ordering.call("POST", f"{dist}/order/validate", token, {}, expect=409)
    assert problem["code"] == "distribution-not-open"
    await ordering.add_line(group, token, lessive, "1", expect=409)
    assert await ordering.sql("SELECT * FROM orders") == []
    stock = await ordering.sql("SELECT stock FROM products WHERE id = $1", uuid.UUID(lessive))
    assert stock[0]["stock"] == 10
    listing = await ordering.call("GET", f"/v1/groups/{group.id}/distributions", token)
    assert listing["distributions"][0]["state"] == "closed"


async def test_120_concurrent_orders_never_oversell_a_stock_of_50(ordering: Ordering):
    group = await ordering.new_group(stock={"Lessive 1 L": 50})
    _, dist = paths(group)
    lessive = group.products["Lessive 1 L"]
    tokens = [ordering.member_token(group.id) for _ in range(120)]
    quantities = [1 + i % 3 for i in range(120)]
    await asyncio.gather(
        *(ordering.add_line(group, t, lessive, q) for t, q in zip(tokens, quantities, strict=True))
    )

    async def validate(token: str) -> tuple[int, dict[str, Any]]:
        resp = await ordering.client.post(
            f"{dist}/order/validate", json={}, headers=ordering.auth(token)
        )
        return resp.status, await resp.json()

    results = await asyncio.gather(*(validate(t) for t in tokens))
    accepted = sum(q for (status, _), q in zip(results, quantities, strict=True) if status == 201)
    assert {status for status, _ in results} <= {201, 409}
    assert all(body["code"] == "out-of-stock" for status, body in results if status == 409)
    final = (await ordering.sql("SELECT stock FROM products WHERE id = $1", uuid.UUID(lessive)))[0][
        "stock"
    ]
    assert 0 < accepted <= 50
    assert final >= 0
    assert final + accepted == 50
    orders = await ordering.sql(
        "SELECT count(*) AS n, coalesce(sum(total_cents), 0) AS total FROM orders"
    )
    debits = await ordering.sql(
        "SELECT count(*) AS n, coalesce(sum(amount_cents), 0) AS total FROM ledger_entries"
    )
    assert orders[0]["n"] == debits[0]["n"] == sum(1 for s, _ in results if s == 201)
    assert orders[0]["total"] == -debits[0]["total"] == accepted * 225


async def test_ten_parallel_validations_same_key_one_order_one_debit(
    ordering: Ordering, event_sink
):
    group = await ordering.new_group()
    _, dist = paths(group)
    token = ordering.member_token(group.id)
    await ordering.add_line(group, token, group.products["Lessive 1 L"], "1")
    key = {"Idempotency-Key": "validate-" + uuid.uuid4().hex}

    async def validate() -> tuple[int, dict[str, Any]]:
        resp = await ordering.client.post(
            f"{dist}/order/validate", json={}, headers=ordering.auth(token, **key)
        )
        return resp.status, await resp.json()

    results = await asyncio.gather(*(validate() for _ in range(10)))
    assert {status for status, _ in results} == {201}
    assert len({body["order_id"] for _, body in results}) == 1
    assert len(await ordering.sql("SELECT * FROM orders")) == 1
    assert len(await ordering.sql("SELECT * FROM ledger_entries")) == 1
    await event_sink.wait_for(1, type_="ordering.order.validated.v1")
    await asyncio.sleep(0.3)
    assert len([e for e in event_sink.events if e["type"] == "ordering.order.validated.v1"]) == 1


async def test_ten_parallel_validations_without_key_still_one_order(ordering: Ordering):
    group = await ordering.new_group()
    _, dist = paths(group)
    token = ordering.member_token(group.id)
    await ordering.add_line(group, token, group.products["Lessive 1 L"], "1")
    results = await asyncio.gather(
        *(
            ordering.client.post(f"{dist}/order/validate", json={}, headers=ordering.auth(token))
            for _ in range(10)
        )
    )
    assert sorted(r.status for r in results) == [200] * 9 + [201]
    assert len(await ordering.sql("SELECT * FROM orders")) == 1
    assert len(await ordering.sql("SELECT * FROM ledger_entries")) == 1


async def test_openapi_document_lists_the_routes(ordering: Ordering):
    resp = await ordering.client.get("/openapi.json")
    assert resp.status == 200
    document = await resp.json()
    validate = "/v1/groups/{group_id}/distributions/{distribution_id}/order/validate"
    assert "post" in document["paths"][validate]
    assert "AddLine" in document["components"]["schemas"]
