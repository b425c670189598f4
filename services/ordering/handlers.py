"""Use cases of the ordering service; each runs on a connection inside one transaction."""

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from services.ordering import repository as repo
from services.ordering.domain import (
    DistributionState,
    LineLockedError,
    QuantityError,
    check_member_sets_quantity,
    check_quantity_limit,
    distribution_state,
    line_total_cents,
    parse_quantity,
    quantity_text,
)
from shared.contracts.ordering import (
    DistributionClosedV1,
    DistributionOpenedV1,
    DistributionScheduledV1,
    OrderLineV1,
    OrderUpdatedV1,
    OrderValidatedV1,
    PaymentRecordedV1,
)
from shared.idempotency import remember
from shared.outbox import add_event
from shared.problems import Problem, not_found

SOURCE = "/ordering"
Json = dict[str, Any]


# --- problems ------------------------------------------------------------------------------------


def quantity_status(raw: object, bulk: bool) -> int:
    """422 for a quantity no product takes (the schema says so too); 409 for one the other kind
    of product would take ("0,5" of a product sold per piece): it conflicts with this product."""
    try:
        parse_quantity(raw, not bulk)
    except QuantityError:
        return 422
    return 409


def quantity_problem(exc: QuantityError, status: int = 422) -> Problem:
    return Problem(
        status,
        "invalid-quantity",
        exc.detail_fr,
        exc.detail_en,
        errors=[{"field": "quantity", "message": f"{exc.detail_fr} / {exc.detail_en}"}],
    )


def locked_problem() -> Problem:
    return Problem(
        409, "validated-line-locked", LineLockedError.detail_fr, LineLockedError.detail_en
    )


def distribution_not_found() -> Problem:
    return not_found("Distribution", "Distribution")


def not_open_problem(state: DistributionState) -> Problem:
    if state is DistributionState.NOT_YET_OPEN:
        return Problem(
            409,
            "distribution-not-open",
            "La commande n'est pas encore ouverte.",
            "Ordering is not open yet.",
        )
    return Problem(
        409,
        "distribution-not-open",
        "La commande est close : elle ne peut plus être modifiée.",
        "Ordering is closed: the order can no longer be changed.",
    )


def out_of_stock_problem(product_ids: list[uuid.UUID]) -> Problem:
    return Problem(
        409,
        "out-of-stock",
        "Rupture de stock : ce produit n'est plus disponible dans la quantité demandée.",
        "Out of stock: this product is no longer available in that quantity.",
        errors=[{"field": "product_id", "message": str(p)} for p in product_ids],
    )


def not_offered_problem() -> Problem:
    return Problem(
        409,
        "product-not-offered",
        "Ce produit n'est pas proposé pour cette distribution.",
        "This product is not offered for this distribution.",
    )


# --- serialisation -------------------------------------------------------------------------------


def distribution_json(row: Any, now: datetime, my_order: Json | None = None) -> Json:
    return {
        "distribution_id": str(row["id"]),
        "group_id": str(row["group_id"]),
        "starts_at": row["starts_at"].isoformat(),
        "ends_at": row["ends_at"].isoformat(),
        "opens_at": row["opens_at"].isoformat(),
        "closes_at": row["closes_at"].isoformat(),
        "place_name": row["place_name"],
        "place_address": row["place_address"],
        "state": distribution_state(row["opens_at"], row["closes_at"], now).value,
        "my_order": my_order,
    }


def product_json(row: Any) -> Json:
    stock = row["stock"]
    return {
        "product_id": str(row["id"]),
        "group_id": str(row["group_id"]),
        "name": row["name"],
        "category": row["category"],
        "unit_label": row["unit_label"],
        "unit_price_cents": row["unit_price_cents"],
        "bulk": row["bulk"],
        "stock": None if stock is None else quantity_text(stock),
        "active": row["active"],
        "out_of_stock": stock is not None and stock <= 0,
    }


def line_json(line: Any) -> Json:
    return {
        "product_id": str(line["product_id"]),
        "product_name": line["product_name"],
        "category": line["category"],
        "unit_label": line["unit_label"],
        "bulk": line["bulk"],
        "quantity": quantity_text(line["quantity"]),
        "unit_price_cents": line["unit_price_cents"],
        "line_total_cents": line["line_total_cents"],
    }


def order_json(
    order: Any, lines: list[Any], paid_cents: int, distribution: Json | None = None
) -> Json:
    body: Json = {
        "order_id": str(order["id"]),
        "distribution_id": str(order["distribution_id"]),
        "group_id": str(order["group_id"]),
        "user_id": str(order["user_id"]),
        "lines": [line_json(ln) for ln in lines],
        "total_cents": order["total_cents"],
        "fees_cents": 0,
        "payment_method": order["payment_method"],
        "validated_at": order["validated_at"].isoformat(),
        "updated_at": order["updated_at"].isoformat(),
        "paid_cents": paid_cents,
        "paid": paid_cents >= order["total_cents"],
    }
    if distribution is not None:
        body["distribution"] = distribution
    return body


def ledger_json(row: Any) -> Json:
    return {
        "entry_id": str(row["entry_id"]),
        "kind": row["kind"],
        "amount_cents": row["amount_cents"],
        "method": row["method"],
        "order_id": str(row["order_id"]) if row["order_id"] else None,
        "distribution_id": str(row["distribution_id"]) if row["distribution_id"] else None,
        "payment_id": str(row["payment_id"]) if row["payment_id"] else None,
        "note": row["note"],
        "created_at": row["created_at"].isoformat(),
    }


def distribution_event(row: Any) -> dict[str, Any]:
    return {
        "distribution_id": row["id"],
        "group_id": row["group_id"],
        "starts_at": row["starts_at"],
        "ends_at": row["ends_at"],
        "opens_at": row["opens_at"],
        "closes_at": row["closes_at"],
        "place_name": row["place_name"],
        "place_address": row["place_address"],
    }


def order_event_lines(lines: list[Any]) -> list[OrderLineV1]:
    return [
        OrderLineV1(
            product_id=ln["product_id"],
            product_name=ln["product_name"],
            unit_label=ln["unit_label"],
            bulk=ln["bulk"],
            quantity=quantity_text(ln["quantity"]),
            unit_price_cents=ln["unit_price_cents"],
            line_total_cents=ln["line_total_cents"],
        )
        for ln in lines
        if ln["quantity"] > 0
    ]


# --- distributions -------------------------------------------------------------------------------


async def require_distribution(conn: Any, group_id: uuid.UUID, distribution_id: uuid.UUID) -> Any:
    row = await repo.get_distribution(conn, group_id, distribution_id)
    if row is None:
        raise distribution_not_found()
    return row


async def create_distribution(
    conn: Any,
    group_id: uuid.UUID,
    fields: dict[str, Any],
    products: list[tuple[uuid.UUID, int | None]],
    created_by: uuid.UUID | None,
    distribution_id: uuid.UUID | None = None,
) -> Json | None:
    """Create a distribution with its offer; None when that id already exists (seed)."""
    catalog = {r["id"]: r for r in await repo.list_products(conn, group_id)}
    prices: list[tuple[uuid.UUID, int]] = []
    for product_id, price in products:
        product = catalog.get(product_id)
        if product is None:
            raise Problem(
                422,
                "unknown-product",
                "Un des produits n'existe pas dans ce groupe.",
                "One of the products does not exist in this group.",
                errors=[{"field": "products", "message": str(product_id)}],
            )
        prices.append((product_id, product["unit_price_cents"] if price is None else price))
    row = await repo.insert_distribution(
        conn, distribution_id or uuid.uuid4(), group_id, fields, created_by
    )
    if row is None:
        return None
    await repo.insert_distribution_products(conn, row["id"], prices)
    await add_event(
        conn,
        "ordering.distribution.scheduled.v1",
        SOURCE,
        DistributionScheduledV1(**distribution_event(row)),
        subject=str(row["id"]),
        group_id=group_id,
    )
    return distribution_json(row, await repo.db_now(conn))


async def announce_due(conn: Any) -> int:
    """Emit opened/closed events for distributions whose time passed (once, across replicas)."""
    count = 0
    for row in await repo.claim_opened(conn):
        if row["closes_at"] > row["db_now"]:  # a distribution created already closed never "opens"
            await add_event(
                conn,
                "ordering.distribution.opened.v1",
                SOURCE,
                DistributionOpenedV1(**distribution_event(row)),
                subject=str(row["id"]),
                group_id=row["group_id"],
            )
            count += 1
    for row in await repo.claim_closed(conn):
        await add_event(
            conn,
            "ordering.distribution.closed.v1",
            SOURCE,
            DistributionClosedV1(**distribution_event(row)),
            subject=str(row["id"]),
            group_id=row["group_id"],
        )
        count += 1
    return count


# --- cart ----------------------------------------------------------------------------------------


async def cart_view(conn: Any, distribution: Any, user_id: uuid.UUID) -> Json:
    state = distribution_state(
        distribution["opens_at"], distribution["closes_at"], distribution["db_now"]
    )
    order = await repo.member_order(conn, distribution["id"], user_id)
    validated = await repo.order_lines(conn, [order["id"]]) if order else []
    pending = await repo.cart_lines(conn, distribution["id"], user_id)
    merged: dict[uuid.UUID, Json] = {}
    for ln in validated:
        merged[ln["product_id"]] = {
            "product_id": ln["product_id"],
            "product_name": ln["product_name"],
            "category": ln["category"],
            "unit_label": ln["unit_label"],
            "bulk": ln["bulk"],
            "unit_price_cents": ln["unit_price_cents"],
            "validated": ln["quantity"],
            "pending": Decimal(0),
        }
    pending_lines = []
    for ln in pending:
        price = ln["price_cents"] if ln["price_cents"] is not None else 0
        entry = merged.setdefault(
            ln["product_id"],
            {
                "product_id": ln["product_id"],
                "product_name": ln["name"],
                "category": ln["category"],
                "unit_label": ln["unit_label"],
                "bulk": ln["bulk"],
                "unit_price_cents": price,
                "validated": Decimal(0),
                "pending": Decimal(0),
            },
        )
        entry["pending"] = ln["quantity"]
        pending_lines.append(
            {
                "product_id": ln["product_id"],
                "product_name": ln["name"],
                "category": ln["category"],
                "unit_label": ln["unit_label"],
                "bulk": ln["bulk"],
                "quantity": ln["quantity"],
                "unit_price_cents": entry["unit_price_cents"],
                "line_total_cents": line_total_cents(ln["quantity"], entry["unit_price_cents"]),
            }
        )
    lines = []
    for entry in sorted(merged.values(), key=lambda e: (e["category"], e["product_name"])):
        quantity = entry["validated"] + entry["pending"]
        line = line_json(
            {
                **entry,
                "quantity": quantity,
                "line_total_cents": line_total_cents(quantity, entry["unit_price_cents"]),
            }
        )
        line["validated_quantity"] = quantity_text(entry["validated"])
        line["pending_quantity"] = quantity_text(entry["pending"])
        lines.append(line)
    return {
        "distribution_id": str(distribution["id"]),
        "state": state.value,
        "order_id": str(order["id"]) if order else None,
        "validated_lines": [line_json(ln) for ln in validated],
        "pending_lines": [line_json(ln) for ln in pending_lines],
        "lines": lines,
        "total_cents": sum(ln["line_total_cents"] for ln in lines),
        "validated_total_cents": order["total_cents"] if order else 0,
        "has_pending": bool(pending_lines),
    }


async def _open_distribution(conn: Any, group_id: uuid.UUID, distribution_id: uuid.UUID) -> Any:
    distribution = await require_distribution(conn, group_id, distribution_id)
    _require_open(distribution)
    return distribution


def _require_open(distribution: Any) -> None:
    """Refuse unless the distribution exists and is open by the database clock."""
    if distribution is None:
        raise distribution_not_found()
    state = distribution_state(
        distribution["opens_at"], distribution["closes_at"], distribution["db_now"]
    )
    if state is not DistributionState.OPEN:
        raise not_open_problem(state)


async def _validated_quantity(
    conn: Any, distribution_id: uuid.UUID, user_id: uuid.UUID, product_id: uuid.UUID
) -> Decimal:
    value = await conn.fetchval(
        "SELECT l.quantity FROM orders o JOIN order_lines l ON l.order_id = o.id"
        " WHERE o.distribution_id = $1 AND o.user_id = $2 AND l.product_id = $3",
        distribution_id,
        user_id,
        product_id,
    )
    return Decimal(0) if value is None else Decimal(value)


async def _pending_quantity(
    conn: Any, distribution_id: uuid.UUID, user_id: uuid.UUID, product_id: uuid.UUID
) -> Decimal:
    value = await conn.fetchval(
        "SELECT quantity FROM cart_lines WHERE distribution_id = $1 AND user_id = $2"
        " AND product_id = $3",
        distribution_id,
        user_id,
        product_id,
    )
    return Decimal(0) if value is None else Decimal(value)


async def _orderable_product(conn: Any, distribution_id: uuid.UUID, product_id: uuid.UUID) -> Any:
    product = await repo.offered_product(conn, distribution_id, product_id)
    if product is None:
        raise not_found("Produit", "Product")
    if not product["active"]:
        raise not_offered_problem()
    if product["stock"] is not None and product["stock"] <= 0:
        raise out_of_stock_problem([product_id])
    return product


async def add_line(
    conn: Any,
    group_id: uuid.UUID,
    distribution_id: uuid.UUID,
    user_id: uuid.UUID,
    product_id: uuid.UUID,
    raw_quantity: object,
) -> Json:
    distribution = await _open_distribution(conn, group_id, distribution_id)
    product = await _orderable_product(conn, distribution_id, product_id)
    try:
        quantity = parse_quantity(raw_quantity, product["bulk"])
    except QuantityError as exc:
        raise quantity_problem(exc, quantity_status(raw_quantity, product["bulk"])) from None
    await repo.lock_member_distribution(conn, distribution_id, user_id)
    validated = await _validated_quantity(conn, distribution_id, user_id, product_id)
    pending = await _pending_quantity(conn, distribution_id, user_id, product_id)
    try:
        check_quantity_limit(validated + pending + quantity, product["bulk"])
    except QuantityError as exc:
        # Too much with what the cart already holds: a conflict with its state.
        raise quantity_problem(exc, 409) from None
    await repo.add_to_cart(conn, distribution_id, user_id, product_id, quantity)
    return await cart_view(conn, distribution, user_id)


async def set_line(
    conn: Any,
    group_id: uuid.UUID,
    distribution_id: uuid.UUID,
    user_id: uuid.UUID,
    product_id: uuid.UUID,
    raw_quantity: object,
) -> Json:
    distribution = await _open_distribution(conn, group_id, distribution_id)
    product = await repo.offered_product(conn, distribution_id, product_id)
    if product is None:
        raise not_found("Produit", "Product")
    try:
        quantity = parse_quantity(raw_quantity, product["bulk"])
        check_quantity_limit(quantity, product["bulk"])
    except QuantityError as exc:
        raise quantity_problem(exc, quantity_status(raw_quantity, product["bulk"])) from None
    await repo.lock_member_distribution(conn, distribution_id, user_id)
    validated = await _validated_quantity(conn, distribution_id, user_id, product_id)
    try:
        check_member_sets_quantity(validated, quantity)
    except LineLockedError:
        raise locked_problem() from None
    if quantity > validated:
        await _orderable_product(conn, distribution_id, product_id)
    await repo.set_cart_line(conn, distribution_id, user_id, product_id, quantity - validated)
    return await cart_view(conn, distribution, user_id)


async def remove_line(
    conn: Any,
    group_id: uuid.UUID,
    distribution_id: uuid.UUID,
    user_id: uuid.UUID,
    product_id: uuid.UUID,
) -> Json:
    distribution = await _open_distribution(conn, group_id, distribution_id)
    await repo.lock_member_distribution(conn, distribution_id, user_id)
    if await _validated_quantity(conn, distribution_id, user_id, product_id) > 0:
        raise locked_problem()
    await repo.delete_cart_line(conn, distribution_id, user_id, product_id)
    return await cart_view(conn, distribution, user_id)


# --- validation ----------------------------------------------------------------------------------


async def validate_order(
    conn: Any,
    group_id: uuid.UUID,
    distribution_id: uuid.UUID,
    user_id: uuid.UUID,
    idempotency: tuple[str, str] | None = None,
) -> tuple[int, Json]:
    """Merge the member's pending lines into their order: reserve stock, debit, emit an event.

    Stock rows are locked (in product-id order: no deadlocks) by the last statements of the
    transaction, so the hot rows are held for as short a time as possible; the conditional UPDATE
    never lets stock go negative, and a shortfall rolls the whole validation back.

    Returns (201, order) when the order is created, (200, order) when it grew or was unchanged.
    """
    distribution = await repo.lock_member_and_get_distribution(
        conn, group_id, distribution_id, user_id
    )
    _require_open(distribution)
    pending, order = await repo.cart_with_order(conn, distribution_id, user_id)
    existing = await repo.order_lines(conn, [order["id"]]) if order else []
    if not pending:
        if order is None:
            # The request is well formed; the cart's current state refuses it: a conflict.
            raise Problem(
                409,
                "cart-empty",
                "Votre panier est vide : ajoutez un produit.",
                "Your cart is empty: add a product first.",
            )
        return 200, await _order_answer(conn, order, existing, distribution)
    not_offered = [ln for ln in pending if ln["price_cents"] is None or not ln["active"]]
    if not_offered:
        raise not_offered_problem()
    by_product = {ln["product_id"]: ln for ln in existing}
    # Cheap early refusal on the unlocked stock; the locked check comes last (see below).
    short = [
        ln["product_id"]
        for ln in pending
        if ln["stock"] is not None and ln["stock"] < ln["quantity"]
    ]
    if short:
        raise out_of_stock_problem(short)
    changed: list[dict[str, Any]] = []
    for ln in pending:
        before = by_product.get(ln["product_id"])
        quantity = ln["quantity"] + (before["quantity"] if before else 0)
        try:
            check_quantity_limit(quantity, ln["bulk"])
        except QuantityError as exc:
            raise quantity_problem(exc, 409) from None
        price = before["unit_price_cents"] if before else ln["price_cents"]
        line = {
            "product_id": ln["product_id"],
            "product_name": ln["name"],
            "category": ln["category"],
            "unit_label": ln["unit_label"],
            "bulk": ln["bulk"],
            "quantity": quantity,
            "unit_price_cents": price,
            "line_total_cents": line_total_cents(quantity, price),
        }
        changed.append(line)
        by_product[ln["product_id"]] = line
    lines = sorted(by_product.values(), key=lambda x: (x["category"], x["product_name"]))
    total = sum(int(x["line_total_cents"]) for x in lines)
    created = order is None
    previous_total = 0 if order is None else order["total_cents"]
    order = await repo.save_validation(
        conn,
        order_id=uuid.uuid4() if order is None else order["id"],
        created=created,
        distribution_id=distribution_id,
        group_id=group_id,
        user_id=user_id,
        total_cents=total,
        debit_cents=total - previous_total,
        lines=changed,
    )
    common: dict[str, Any] = {
        "order_id": order["id"],
        "distribution_id": distribution_id,
        "group_id": group_id,
        "user_id": user_id,
        "lines": order_event_lines(lines),
        "total_cents": total,
        "at": order["updated_at"],
    }
    if created:
        await add_event(
            conn,
            "ordering.order.validated.v1",
            SOURCE,
            OrderValidatedV1(**common),
            subject=str(order["id"]),
            group_id=group_id,
        )
    else:
        await add_event(
            conn,
            "ordering.order.updated.v1",
            SOURCE,
            OrderUpdatedV1(**common, change="member_added"),
            subject=str(order["id"]),
            group_id=group_id,
        )
    status = 201 if created else 200
    answer = _order_json(order, lines, order["paid_cents"], distribution)
    if idempotency is not None:
        await remember(conn, idempotency[0], idempotency[1], status, answer)
    await reserve_stock(conn, {ln["product_id"]: ln["quantity"] for ln in pending})
    return status, answer


async def reserve_stock(conn: Any, wanted: dict[uuid.UUID, Decimal]) -> None:
    """Take the quantities of the stocked products, or refuse all of it."""
    short = await repo.take_stock(conn, wanted)
    if short:
        raise out_of_stock_problem(short)


async def _order_answer(conn: Any, order: Any, lines: list[Any], distribution: Any) -> Json:
    paid = await repo.paid_by_distribution(conn, [order["distribution_id"]], [order["user_id"]])
    return _order_json(
        order, lines, paid.get((order["distribution_id"], order["user_id"]), 0), distribution
    )


def _order_json(order: Any, lines: list[Any], paid_cents: int, distribution: Any) -> Json:
    return order_json(
        order,
        lines,
        paid_cents,
        distribution_json(
            distribution,
            distribution["db_now"],
            {"order_id": str(order["id"]), "total_cents": order["total_cents"]},
        ),
    )


async def order_view(conn: Any, group_id: uuid.UUID, order: Any) -> Json:
    distribution = await require_distribution(conn, group_id, order["distribution_id"])
    lines = await repo.order_lines(conn, [order["id"]])
    return await _order_answer(conn, order, lines, distribution)


async def orders_view(
    conn: Any, orders: list[Any], distributions: dict[uuid.UUID, Any] | None = None
) -> list[Json]:
    if not orders:
        return []
    lines_by_order: dict[uuid.UUID, list[Any]] = {}
    for ln in await repo.order_lines(conn, [o["id"] for o in orders]):
        lines_by_order.setdefault(ln["order_id"], []).append(ln)
    paid = await repo.paid_by_distribution(
        conn, list({o["distribution_id"] for o in orders}), list({o["user_id"] for o in orders})
    )
    result = []
    for o in orders:
        dist = None
        if distributions is not None:
            row = distributions[o["distribution_id"]]
            dist = distribution_json(
                row, row["db_now"], {"order_id": str(o["id"]), "total_cents": o["total_cents"]}
            )
        result.append(
            order_json(
                o,
                lines_by_order.get(o["id"], []),
                paid.get((o["distribution_id"], o["user_id"]), 0),
                dist,
            )
        )
    return result


# --- coordinator: corrections and payments -------------------------------------------------------


async def correct_order(
    conn: Any,
    group_id: uuid.UUID,
    order_id: uuid.UUID,
    changes: list[tuple[uuid.UUID, object]],
    note: str | None,
    recorded_by: uuid.UUID | None,
) -> Json:
    order = await conn.fetchrow(
        f"SELECT {repo.ORDER_COLUMNS} FROM orders o WHERE o.id = $1 AND o.group_id = $2 FOR UPDATE",
        order_id,
        group_id,
    )
    if order is None:
        raise not_found("Commande", "Order")
    existing = {
        ln["product_id"]: ln
        for ln in await conn.fetch(
            f"SELECT {repo.LINE_COLUMNS} FROM order_lines l WHERE l.order_id = $1", order_id
        )
    }
    new_lines: list[dict[str, Any]] = []
    deltas: dict[uuid.UUID, Decimal] = {}
    for product_id, raw in changes:
        before = existing.get(product_id)
        if before is None:
            offered = await repo.offered_product(conn, order["distribution_id"], product_id)
            if offered is None:
                raise not_offered_problem()
            info = {
                "product_name": offered["name"],
                "category": offered["category"],
                "unit_label": offered["unit_label"],
                "bulk": offered["bulk"],
                "unit_price_cents": offered["price_cents"],
            }
            old_quantity = Decimal(0)
        else:
            info = {
                k: before[k]
                for k in ("product_name", "category", "unit_label", "bulk", "unit_price_cents")
            }
            old_quantity = before["quantity"]
        try:
            quantity = Decimal(0) if raw in ("0", 0) else parse_quantity(raw, info["bulk"])
        except QuantityError as exc:
            raise quantity_problem(exc, quantity_status(raw, info["bulk"])) from None
        deltas[product_id] = quantity - old_quantity
        line = {
            **info,
            "product_id": product_id,
            "quantity": quantity,
            "line_total_cents": line_total_cents(quantity, info["unit_price_cents"]),
        }
        new_lines.append(line)
        existing[product_id] = line
    if not any(deltas.values()):
        # The quantities it already has (a correction sent twice): nothing to record.
        return await order_view(conn, group_id, order)
    short = await repo.take_stock(conn, {p: d for p, d in deltas.items() if d != 0})
    if short:
        raise out_of_stock_problem(short)
    await repo.upsert_lines(conn, order_id, new_lines)
    total = sum(int(ln["line_total_cents"]) for ln in existing.values())
    difference = total - order["total_cents"]
    order = await repo.update_order_total(conn, order_id, total)
    await repo.add_ledger_entry(
        conn,
        group_id,
        order["user_id"],
        "correction",
        -difference,
        order_id=order_id,
        distribution_id=order["distribution_id"],
        recorded_by=recorded_by,
        note=note,
    )
    lines = [ln for ln in existing.values() if ln["quantity"] > 0]
    await add_event(
        conn,
        "ordering.order.updated.v1",
        SOURCE,
        OrderUpdatedV1(
            order_id=order_id,
            distribution_id=order["distribution_id"],
            group_id=group_id,
            user_id=order["user_id"],
            lines=order_event_lines(lines),
            total_cents=total,
            at=order["updated_at"],
            change="coordinator_correction",
        ),
        subject=str(order_id),
        group_id=group_id,
    )
    return await order_view(conn, group_id, order)


async def record_payment(
    conn: Any,
    group_id: uuid.UUID,
    user_id: uuid.UUID,
    amount_cents: int,
    method: str,
    distribution_id: uuid.UUID | None,
    recorded_by: uuid.UUID,
) -> Json:
    if distribution_id is not None:
        await require_distribution(conn, group_id, distribution_id)
    payment_id = uuid.uuid4()
    entry = await repo.add_ledger_entry(
        conn,
        group_id,
        user_id,
        "payment",
        amount_cents,
        distribution_id=distribution_id,
        payment_id=payment_id,
        method=method,
        recorded_by=recorded_by,
    )
    await add_event(
        conn,
        "ordering.payment.recorded.v1",
        SOURCE,
        PaymentRecordedV1(
            payment_id=payment_id,
            group_id=group_id,
            user_id=user_id,
            amount_cents=amount_cents,
            method=method,
            distribution_id=distribution_id,
            recorded_by=recorded_by,
            recorded_at=entry["created_at"],
        ),
        subject=str(payment_id),
        group_id=group_id,
    )
    balance = await conn.fetchval(
        "SELECT coalesce(sum(amount_cents), 0)::int FROM ledger_entries"
        " WHERE group_id = $1 AND user_id = $2",
        group_id,
        user_id,
    )
    return {
        **ledger_json(entry),
        "user_id": str(user_id),
        "group_id": str(group_id),
        "balance_cents": balance,
    }


async def ledger_view(conn: Any, group_id: uuid.UUID, user_id: uuid.UUID) -> Json:
    entries = await repo.ledger(conn, group_id, user_id)
    return {
        "user_id": str(user_id),
        "balance_cents": sum(e["amount_cents"] for e in entries),
        "entries": [ledger_json(e) for e in entries],
    }


# --- erasure -------------------------------------------------------------------------------------


async def anonymise_user(conn: Any, user_id: uuid.UUID) -> None:
    """Keep amounts for the association's accounts; drop the link to the person.

    The outbox rows naming the person (orders with their lines) are forgotten by the platform in
    the same transaction, after this (shared.retention.with_erasure)."""
    anonymous = uuid.uuid4()
    await conn.execute("DELETE FROM cart_lines WHERE user_id = $1", user_id)
    await conn.execute("UPDATE orders SET user_id = $2 WHERE user_id = $1", user_id, anonymous)
    await conn.execute(
        "UPDATE ledger_entries SET user_id = $2 WHERE user_id = $1", user_id, anonymous
    )
    await conn.execute(
        "DELETE FROM idempotency_keys WHERE scope LIKE '%' || $1 || '%'", str(user_id)
    )
