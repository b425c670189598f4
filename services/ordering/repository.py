"""Explicit asyncpg SQL for the `ordering` schema (search_path is set on every connection)."""

import uuid
from decimal import Decimal
from typing import Any

Row = Any  # asyncpg.Record

DISTRIBUTION_COLUMNS = (
    "d.id, d.group_id, d.starts_at, d.ends_at, d.opens_at, d.closes_at, d.place_name,"
    " d.place_address"
)
PRODUCT_COLUMNS = (
    "p.id, p.group_id, p.name, p.category, p.unit_label, p.unit_price_cents, p.bulk, p.stock,"
    " p.active"
)


async def db_now(conn: Any) -> Any:
    return await conn.fetchval("SELECT now()")


# --- catalog -------------------------------------------------------------------------------------


async def list_products(conn: Any, group_id: uuid.UUID) -> list[Row]:
    rows: list[Row] = await conn.fetch(
        f"SELECT {PRODUCT_COLUMNS} FROM products p WHERE p.group_id = $1"
        " ORDER BY p.category, p.name",
        group_id,
    )
    return rows


async def get_product(conn: Any, group_id: uuid.UUID, product_id: uuid.UUID) -> Row | None:
    return await conn.fetchrow(
        f"SELECT {PRODUCT_COLUMNS} FROM products p WHERE p.id = $1 AND p.group_id = $2",
        product_id,
        group_id,
    )


async def insert_product(
    conn: Any, product_id: uuid.UUID, group_id: uuid.UUID, fields: dict[str, Any]
) -> Row:
    return await conn.fetchrow(
        "INSERT INTO products AS p (id, group_id, name, category, unit_label, unit_price_cents,"
        " bulk, stock, active) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        " ON CONFLICT (id) DO NOTHING"
        f" RETURNING {PRODUCT_COLUMNS}",
        product_id,
        group_id,
        fields["name"],
        fields["category"],
        fields["unit_label"],
        fields["unit_price_cents"],
        fields["bulk"],
        fields["stock"],
        fields["active"],
    )


UPDATABLE_PRODUCT_FIELDS = (
    "name",
    "category",
    "unit_label",
    "unit_price_cents",
    "bulk",
    "stock",
    "active",
)


async def update_product(
    conn: Any, group_id: uuid.UUID, product_id: uuid.UUID, fields: dict[str, Any]
) -> Row | None:
    names = [n for n in UPDATABLE_PRODUCT_FIELDS if n in fields]
    if not names:
        return await get_product(conn, group_id, product_id)
    sets = ", ".join(f"{n} = ${i + 3}" for i, n in enumerate(names))
    return await conn.fetchrow(
        f"UPDATE products AS p SET {sets}, updated_at = now() WHERE p.id = $1 AND p.group_id = $2"
        f" RETURNING {PRODUCT_COLUMNS}",
        product_id,
        group_id,
        *(fields[n] for n in names),
    )


async def copy_catalog(conn: Any, source: uuid.UUID, target: uuid.UUID) -> tuple[int, int]:
    """Copy the products whose name the target lacks; the others are left as they are.

    Copies into one group are serialised (a double click, two replicas): the second copy runs
    after the first has committed and finds every name already there.
    """
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended('catalog-copy:' || $1::text, 0))",
        str(target),
    )
    total = int(await conn.fetchval("SELECT count(*) FROM products WHERE group_id = $1", source))
    copied = await conn.fetch(
        "INSERT INTO products (id, group_id, name, category, unit_label, unit_price_cents, bulk,"
        " stock, active)"
        " SELECT gen_random_uuid(), $2, s.name, s.category, s.unit_label, s.unit_price_cents,"
        " s.bulk, s.stock, s.active FROM products s WHERE s.group_id = $1"
        " AND NOT EXISTS (SELECT 1 FROM products t WHERE t.group_id = $2 AND t.name = s.name)"
        " RETURNING id",
        source,
        target,
    )
    return len(copied), total - len(copied)


# --- distributions -------------------------------------------------------------------------------


async def insert_distribution(
    conn: Any,
    distribution_id: uuid.UUID,
    group_id: uuid.UUID,
    fields: dict[str, Any],
    created_by: uuid.UUID | None,
) -> Row | None:
    return await conn.fetchrow(
        "INSERT INTO distributions AS d (id, group_id, starts_at, ends_at, opens_at, closes_at,"
        " place_name, place_address, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        f" ON CONFLICT (id) DO NOTHING RETURNING {DISTRIBUTION_COLUMNS}",
        distribution_id,
        group_id,
        fields["starts_at"],
        fields["ends_at"],
        fields["opens_at"],
        fields["closes_at"],
        fields["place_name"],
        fields["place_address"],
        created_by,
    )


async def insert_distribution_products(
    conn: Any, distribution_id: uuid.UUID, prices: list[tuple[uuid.UUID, int]]
) -> None:
    await conn.execute(
        "INSERT INTO distribution_products (distribution_id, product_id, price_cents)"
        " SELECT $1, x.pid, x.price FROM unnest($2::uuid[], $3::int[]) AS x(pid, price)"
        " ON CONFLICT DO NOTHING",
        distribution_id,
        [p for p, _ in prices],
        [c for _, c in prices],
    )


async def get_distribution(
    conn: Any, group_id: uuid.UUID, distribution_id: uuid.UUID
) -> Row | None:
    return await conn.fetchrow(
        f"SELECT {DISTRIBUTION_COLUMNS}, now() AS db_now FROM distributions d"
        " WHERE d.id = $1 AND d.group_id = $2",
        distribution_id,
        group_id,
    )


async def lock_member_and_get_distribution(
    conn: Any, group_id: uuid.UUID, distribution_id: uuid.UUID, user_id: uuid.UUID
) -> Row | None:
    """The distribution, after taking the member's lock of `lock_member_distribution`.

    One round trip instead of two on the validation path; the lock is only taken when the
    distribution exists (otherwise the caller refuses anyway).
    """
    return await conn.fetchrow(
        f"SELECT {DISTRIBUTION_COLUMNS}, now() AS db_now,"
        f" {_member_lock(3)} FROM distributions d"
        " WHERE d.id = $1 AND d.group_id = $2",
        distribution_id,
        group_id,
        str(distribution_id),
        str(user_id),
    )


async def list_distributions(
    conn: Any, group_id: uuid.UUID, user_id: uuid.UUID | None
) -> list[Row]:
    rows: list[Row] = await conn.fetch(
        f"SELECT {DISTRIBUTION_COLUMNS}, now() AS db_now, o.id AS order_id,"
        " o.total_cents AS order_total_cents FROM distributions d"
        " LEFT JOIN orders o ON o.distribution_id = d.id AND o.user_id = $2"
        " WHERE d.group_id = $1 ORDER BY d.starts_at, d.id",
        group_id,
        user_id,
    )
    return rows


async def offer(conn: Any, distribution_id: uuid.UUID) -> list[Row]:
    rows: list[Row] = await conn.fetch(
        f"SELECT {PRODUCT_COLUMNS}, dp.price_cents FROM distribution_products dp"
        " JOIN products p ON p.id = dp.product_id"
        " WHERE dp.distribution_id = $1 AND p.active ORDER BY p.category, p.name",
        distribution_id,
    )
    return rows


async def offered_product(
    conn: Any, distribution_id: uuid.UUID, product_id: uuid.UUID
) -> Row | None:
    return await conn.fetchrow(
        f"SELECT {PRODUCT_COLUMNS}, dp.price_cents FROM distribution_products dp"
        " JOIN products p ON p.id = dp.product_id"
        " WHERE dp.distribution_id = $1 AND dp.product_id = $2",
        distribution_id,
        product_id,
    )


# --- carts ---------------------------------------------------------------------------------------


async def cart_with_order(
    conn: Any, distribution_id: uuid.UUID, user_id: uuid.UUID
) -> tuple[list[Row], Row | None]:
    """The pending lines (as `cart_lines`) and the member's order, in one round trip when the
    cart is not empty (the validation path); the order alone otherwise."""
    rows: list[Row] = await conn.fetch(
        "SELECT c.product_id, c.quantity, p.name, p.category, p.unit_label, p.bulk, p.active,"
        " p.stock, dp.price_cents, o.id AS order_id FROM cart_lines c"
        " JOIN products p ON p.id = c.product_id"
        " LEFT JOIN distribution_products dp ON dp.distribution_id = c.distribution_id"
        " AND dp.product_id = c.product_id"
        " LEFT JOIN orders o ON o.distribution_id = c.distribution_id AND o.user_id = c.user_id"
        " WHERE c.distribution_id = $1 AND c.user_id = $2 ORDER BY p.category, p.name",
        distribution_id,
        user_id,
    )
    if rows and rows[0]["order_id"] is None:
        return rows, None
    return rows, await member_order(conn, distribution_id, user_id)


async def cart_lines(conn: Any, distribution_id: uuid.UUID, user_id: uuid.UUID) -> list[Row]:
    """Pending lines with what validation needs (price for this distribution, active flag)."""
    rows: list[Row] = await conn.fetch(
        "SELECT c.product_id, c.quantity, p.name, p.category, p.unit_label, p.bulk, p.active,"
        " p.stock, dp.price_cents FROM cart_lines c JOIN products p ON p.id = c.product_id"
        " LEFT JOIN distribution_products dp ON dp.distribution_id = c.distribution_id"
        " AND dp.product_id = c.product_id"
        " WHERE c.distribution_id = $1 AND c.user_id = $2 ORDER BY p.category, p.name",
        distribution_id,
        user_id,
    )
    return rows


async def add_to_cart(
    conn: Any,
    distribution_id: uuid.UUID,
    user_id: uuid.UUID,
    product_id: uuid.UUID,
    quantity: Decimal,
) -> None:
    await conn.execute(
        "INSERT INTO cart_lines (distribution_id, user_id, product_id, quantity)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT (distribution_id, user_id, product_id)"
        " DO UPDATE SET quantity = cart_lines.quantity + EXCLUDED.quantity, updated_at = now()",
        distribution_id,
        user_id,
        product_id,
        quantity,
    )


async def set_cart_line(
    conn: Any,
    distribution_id: uuid.UUID,
    user_id: uuid.UUID,
    product_id: uuid.UUID,
    quantity: Decimal,
) -> None:
    if quantity <= 0:
        await delete_cart_line(conn, distribution_id, user_id, product_id)
        return
    await conn.execute(
        "INSERT INTO cart_lines (distribution_id, user_id, product_id, quantity)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT (distribution_id, user_id, product_id)"
        " DO UPDATE SET quantity = EXCLUDED.quantity, updated_at = now()",
        distribution_id,
        user_id,
        product_id,
        quantity,
    )


async def delete_cart_line(
    conn: Any, distribution_id: uuid.UUID, user_id: uuid.UUID, product_id: uuid.UUID
) -> None:
    await conn.execute(
        "DELETE FROM cart_lines WHERE distribution_id = $1 AND user_id = $2 AND product_id = $3",
        distribution_id,
        user_id,
        product_id,
    )


def _member_lock(first: int) -> str:
    """The member's lock on one distribution: parameters $first (distribution) and next (user)."""
    return f"pg_advisory_xact_lock(hashtextextended(${first}::text || ${first + 1}::text, 0))"


async def lock_member_distribution(
    conn: Any, distribution_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    """Serialise a member's writes on one distribution (validate, cart changes)."""
    await conn.execute(
        f"SELECT {_member_lock(1)}",
        str(distribution_id),
        str(user_id),
    )


# --- orders --------------------------------------------------------------------------------------

ORDER_COLUMNS = (
    "o.id, o.distribution_id, o.group_id, o.user_id, o.total_cents, o.payment_method,"
    " o.validated_at, o.updated_at"
)
LINE_COLUMNS = (
    "l.order_id, l.product_id, l.product_name, l.category, l.unit_label, l.bulk, l.quantity,"
    " l.unit_price_cents, l.line_total_cents"
)


async def member_order(conn: Any, distribution_id: uuid.UUID, user_id: uuid.UUID) -> Row | None:
    return await conn.fetchrow(
        f"SELECT {ORDER_COLUMNS} FROM orders o WHERE o.distribution_id = $1 AND o.user_id = $2",
        distribution_id,
        user_id,
    )


async def get_order(conn: Any, group_id: uuid.UUID, order_id: uuid.UUID) -> Row | None:
    return await conn.fetchrow(
        f"SELECT {ORDER_COLUMNS} FROM orders o WHERE o.id = $1 AND o.group_id = $2",
        order_id,
        group_id,
    )


async def order_lines(conn: Any, order_ids: list[uuid.UUID]) -> list[Row]:
    rows: list[Row] = await conn.fetch(
        f"SELECT {LINE_COLUMNS} FROM order_lines l WHERE l.order_id = ANY($1::uuid[])"
        " AND l.quantity > 0 ORDER BY l.category, l.product_name",
        order_ids,
    )
    return rows


async def member_orders(
    conn: Any, group_id: uuid.UUID, user_id: uuid.UUID, limit: int
) -> list[Row]:
    rows: list[Row] = await conn.fetch(
        f"SELECT {ORDER_COLUMNS} FROM orders o JOIN distributions d ON d.id = o.distribution_id"
        " WHERE o.group_id = $1 AND o.user_id = $2 ORDER BY d.starts_at DESC, o.id LIMIT $3",
        group_id,
        user_id,
        limit,
    )
    return rows


async def distribution_orders(conn: Any, distribution_id: uuid.UUID) -> list[Row]:
    rows: list[Row] = await conn.fetch(
        f"SELECT {ORDER_COLUMNS} FROM orders o WHERE o.distribution_id = $1"
        " ORDER BY o.validated_at, o.id",
        distribution_id,
    )
    return rows


async def take_stock(conn: Any, deltas: dict[uuid.UUID, Decimal]) -> list[uuid.UUID]:
    """stock -= delta for every stocked product, or nothing: returns the products that fall short.

    One statement: the stocked rows are locked in id order first (no deadlocks between
    validations), and only rows already locked are updated, from their locked (latest) stock, so
    stock never goes negative. Products without stock are ignored. On a non-empty answer the
    caller must roll back, since the other rows have moved.
    """
    if not deltas:
        return []
    ids = list(deltas)
    rows = await conn.fetch(
        "WITH locked AS (SELECT id, stock FROM products WHERE id = ANY($1::uuid[])"
        " AND stock IS NOT NULL ORDER BY id FOR NO KEY UPDATE),"
        " wanted AS (SELECT * FROM unnest($1::uuid[], $2::numeric[]) AS x(id, q)),"
        " moved AS (UPDATE products p SET stock = l.stock - w.q FROM wanted w"
        " JOIN locked l ON l.id = w.id WHERE p.id = w.id AND l.stock >= w.q RETURNING p.id)"
        " SELECT l.id FROM locked l WHERE l.id NOT IN (SELECT id FROM moved)",
        ids,
        [deltas[i] for i in ids],
    )
    return [r["id"] for r in rows]


async def update_order_total(conn: Any, order_id: uuid.UUID, total_cents: int) -> Row:
    return await conn.fetchrow(
        "UPDATE orders AS o SET total_cents = $2, updated_at = now() WHERE o.id = $1"
        f" RETURNING {ORDER_COLUMNS}",
        order_id,
        total_cents,
    )


LINE_FIELDS = (
    ("product_id", "uuid"),
    ("product_name", "text"),
    ("category", "text"),
    ("unit_label", "text"),
    ("bulk", "bool"),
    ("quantity", "numeric"),
    ("unit_price_cents", "int"),
    ("line_total_cents", "int"),
)


def _upsert_lines_sql(first: int) -> str:
    """Insert or update order lines of order $1 from one array per field, from $first on."""
    arrays = ", ".join(f"${first + i}::{kind}[]" for i, (_, kind) in enumerate(LINE_FIELDS))
    return (
        f"INSERT INTO order_lines (order_id, {', '.join(name for name, _ in LINE_FIELDS)})"
        f" SELECT $1, * FROM unnest({arrays})"
        " ON CONFLICT (order_id, product_id) DO UPDATE SET quantity = EXCLUDED.quantity,"
        " unit_price_cents = EXCLUDED.unit_price_cents,"
        " line_total_cents = EXCLUDED.line_total_cents"
    )


def _line_arrays(lines: list[dict[str, Any]]) -> list[list[Any]]:
    return [[ln[name] for ln in lines] for name, _ in LINE_FIELDS]


async def upsert_lines(conn: Any, order_id: uuid.UUID, lines: list[dict[str, Any]]) -> None:
    await conn.execute(_upsert_lines_sql(2), order_id, *_line_arrays(lines))


async def save_validation(
    conn: Any,
    *,
    order_id: uuid.UUID,
    created: bool,
    distribution_id: uuid.UUID,
    group_id: uuid.UUID,
    user_id: uuid.UUID,
    total_cents: int,
    debit_cents: int,
    lines: list[dict[str, Any]],
) -> Row:
    """Order row, its changed lines, the ledger debit and the emptied cart, in one statement;
    the row comes back with what the member has paid for this distribution (`paid_cents`).

    A validation is the hot path of distribution closing: one round trip here instead of four.
    The new lines may reference an order inserted by the same statement (foreign keys are
    checked at the end of the statement).
    """
    order_cte = (
        "INSERT INTO orders AS o (id, distribution_id, group_id, user_id, total_cents)"
        f" VALUES ($1, $2, $3, $4, $5) RETURNING {ORDER_COLUMNS}"
        if created
        else "UPDATE orders AS o SET total_cents = $5, updated_at = now() WHERE o.id = $1"
        f" RETURNING {ORDER_COLUMNS}"
    )
    return await conn.fetchrow(
        f"WITH saved AS ({order_cte}),"
        f" new_lines AS ({_upsert_lines_sql(8)}),"
        " debit AS (INSERT INTO ledger_entries (entry_id, group_id, user_id, kind, amount_cents,"
        " order_id, distribution_id) VALUES (gen_random_uuid(), $3, $4, $6, $7, $1, $2)),"
        " emptied AS (DELETE FROM cart_lines WHERE distribution_id = $2 AND user_id = $4)"
        " SELECT saved.*, (SELECT coalesce(sum(amount_cents), 0)::int FROM ledger_entries"
        " WHERE kind = 'payment' AND distribution_id = $2 AND user_id = $4) AS paid_cents"
        " FROM saved",
        order_id,
        distribution_id,
        group_id,
        user_id,
        total_cents,
        "order" if created else "order_update",
        -debit_cents,
        *_line_arrays(lines),
    )


async def delete_line(conn: Any, order_id: uuid.UUID, product_id: uuid.UUID) -> None:
    await conn.execute(
        "DELETE FROM order_lines WHERE order_id = $1 AND product_id = $2", order_id, product_id
    )


# --- ledger --------------------------------------------------------------------------------------


async def add_ledger_entry(
    conn: Any,
    group_id: uuid.UUID,
    user_id: uuid.UUID,
    kind: str,
    amount_cents: int,
    *,
    order_id: uuid.UUID | None = None,
    distribution_id: uuid.UUID | None = None,
    payment_id: uuid.UUID | None = None,
    method: str | None = None,
    recorded_by: uuid.UUID | None = None,
    note: str | None = None,
) -> Row:
    return await conn.fetchrow(
        "INSERT INTO ledger_entries (entry_id, group_id, user_id, kind, amount_cents, order_id,"
        " distribution_id, payment_id, method, recorded_by, note)"
        " VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        " RETURNING entry_id, kind, amount_cents, method, order_id, distribution_id, payment_id,"
        " note, created_at",
        group_id,
        user_id,
        kind,
        amount_cents,
        order_id,
        distribution_id,
        payment_id,
        method,
        recorded_by,
        note,
    )


async def ledger(conn: Any, group_id: uuid.UUID, user_id: uuid.UUID) -> list[Row]:
    rows: list[Row] = await conn.fetch(
        "SELECT entry_id, kind, amount_cents, method, order_id, distribution_id, payment_id, note,"
        " created_at FROM ledger_entries WHERE group_id = $1 AND user_id = $2 ORDER BY id DESC",
        group_id,
        user_id,
    )
    return rows


async def paid_by_distribution(
    conn: Any, distribution_ids: list[uuid.UUID], user_ids: list[uuid.UUID]
) -> dict[tuple[uuid.UUID, uuid.UUID], int]:
    rows = await conn.fetch(
        "SELECT distribution_id, user_id, sum(amount_cents)::int AS paid FROM ledger_entries"
        " WHERE kind = 'payment' AND distribution_id = ANY($1::uuid[])"
        " AND user_id = ANY($2::uuid[]) GROUP BY distribution_id, user_id",
        distribution_ids,
        user_ids,
    )
    return {(r["distribution_id"], r["user_id"]): int(r["paid"]) for r in rows}


# --- scheduler -----------------------------------------------------------------------------------


async def claim_opened(conn: Any, limit: int = 100) -> list[Row]:
    rows: list[Row] = await conn.fetch(
        "UPDATE distributions d SET opened_announced_at = now() WHERE d.id IN ("
        " SELECT id FROM distributions WHERE opens_at <= now() AND opened_announced_at IS NULL"
        " ORDER BY opens_at LIMIT $1 FOR UPDATE SKIP LOCKED)"
        f" RETURNING {DISTRIBUTION_COLUMNS}, now() AS db_now",
        limit,
    )
    return rows


async def claim_closed(conn: Any, limit: int = 100) -> list[Row]:
    rows: list[Row] = await conn.fetch(
        "UPDATE distributions d SET closed_announced_at = now() WHERE d.id IN ("
        " SELECT id FROM distributions WHERE closes_at <= now() AND closed_announced_at IS NULL"
        " ORDER BY closes_at LIMIT $1 FOR UPDATE SKIP LOCKED)"
        f" RETURNING {DISTRIBUTION_COLUMNS}, now() AS db_now",
        limit,
    )
    return rows
