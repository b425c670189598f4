"""Use cases: reading validated orders (the member's, or any of the group for a coordinator)."""

import uuid

from services.ordering.distributions import require_distribution
from services.ordering.domain import MemberDistribution
from services.ordering.problems import order_not_found
from services.ordering.repository import distributions as distributions_repo
from services.ordering.repository import ledger as ledger_repo
from services.ordering.repository import orders as repo
from services.ordering.repository.rows import Distribution, Line, Order, OrderLine
from services.ordering.views import Json, distribution_json, my_order_ref, order_json
from shared.db import Connection, Database
from shared.problems import Problem


def order_with_distribution(
    order: Order, lines: list[Line], paid_cents: int, distribution: Distribution
) -> Json:
    return order_json(
        order,
        lines,
        paid_cents,
        distribution_json(distribution, my_order_ref(order.id, order.total_cents)),
    )


async def order_answer(
    conn: Connection, order: Order, lines: list[Line], distribution: Distribution
) -> Json:
    paid = await ledger_repo.paid_by_distribution(conn, [order.distribution_id], [order.user_id])
    return order_with_distribution(
        order, lines, paid.get((order.distribution_id, order.user_id), 0), distribution
    )


async def order_view(conn: Connection, group_id: uuid.UUID, order: Order) -> Json:
    distribution = await require_distribution(conn, group_id, order.distribution_id)
    lines: list[Line] = list(await repo.order_lines(conn, [order.id]))
    return await order_answer(conn, order, lines, distribution)


async def orders_view(
    conn: Connection,
    orders: list[Order],
    distributions: dict[uuid.UUID, Distribution] | None = None,
) -> list[Json]:
    """Several orders with their lines and payments; with their distribution when given."""
    if not orders:
        return []
    lines_by_order: dict[uuid.UUID, list[Line]] = {}
    line: OrderLine
    for line in await repo.order_lines(conn, [o.id for o in orders]):
        lines_by_order.setdefault(line.order_id, []).append(line)
    paid = await ledger_repo.paid_by_distribution(
        conn, list({o.distribution_id for o in orders}), list({o.user_id for o in orders})
    )
    result = []
    for o in orders:
        dist = None
        if distributions is not None:
            dist = distribution_json(
                distributions[o.distribution_id], my_order_ref(o.id, o.total_cents)
            )
        result.append(
            order_json(
                o,
                lines_by_order.get(o.id, []),
                paid.get((o.distribution_id, o.user_id), 0),
                dist,
            )
        )
    return result


async def my_order(db: Database, mine: MemberDistribution) -> Json:
    async with db.connection() as conn:
        await require_distribution(conn, mine.group_id, mine.distribution_id)
        order = await repo.member_order(conn, mine.distribution_id, mine.user_id)
        if order is None:
            raise Problem(
                404,
                "no-order",
                "Aucune commande pour cette distribution.",
                "No order for this distribution.",
            )
        return await order_view(conn, mine.group_id, order)


async def my_orders(db: Database, group_id: uuid.UUID, user_id: uuid.UUID, limit: int) -> Json:
    """The member's last orders, newest distribution first (« Dernières commandes »)."""
    async with db.connection() as conn:
        orders = await repo.member_orders(conn, group_id, user_id, limit)
        distributions: dict[uuid.UUID, Distribution] = {}
        for o in orders:
            found = await distributions_repo.get_distribution(conn, group_id, o.distribution_id)
            assert found is not None, "an order's distribution is in the order's group"
            distributions[o.distribution_id] = found
        return {"orders": await orders_view(conn, orders, distributions)}


async def visible_order(
    db: Database, group_id: uuid.UUID, order_id: uuid.UUID, owner: uuid.UUID | None
) -> Json:
    """One order of the group; `owner` set: only if it is theirs (404 otherwise), None: any
    (a coordinator, an administrator or a service)."""
    async with db.connection() as conn:
        order = await repo.get_order(conn, group_id, order_id)
        if order is None or (owner is not None and order.user_id != owner):
            raise order_not_found()
        return await order_view(conn, group_id, order)
