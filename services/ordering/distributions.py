"""Use cases: a group's distributions, their offer, their creation and their announcements."""

import uuid
from datetime import UTC, datetime

from services.ordering.domain import schedule_errors
from services.ordering.events import publish
from services.ordering.models import DistributionCreate
from services.ordering.problems import distribution_not_found
from services.ordering.repository import catalog as catalog_repo
from services.ordering.repository import distributions as repo
from services.ordering.repository import orders as orders_repo
from services.ordering.repository.rows import Distribution
from services.ordering.views import Json, distribution_event, distribution_json, my_order_ref
from shared.contracts.ordering import (
    DistributionClosedV1,
    DistributionOpenedV1,
    DistributionScheduledV1,
)
from shared.db import Connection, Database
from shared.problems import Problem


async def require_distribution(
    conn: Connection, group_id: uuid.UUID, distribution_id: uuid.UUID
) -> Distribution:
    """The group's distribution, or 404 (another group's distribution is not found either)."""
    row = await repo.get_distribution(conn, group_id, distribution_id)
    if row is None:
        raise distribution_not_found()
    return row


async def list_distributions(db: Database, group_id: uuid.UUID, user_id: uuid.UUID | None) -> Json:
    """The group's distributions with the caller's order in each (user_id None: a service)."""
    async with db.connection() as conn:
        rows = await repo.list_distributions(conn, group_id, user_id)
    return {
        "distributions": [
            distribution_json(
                r,
                my_order_ref(r.order_id, r.order_total_cents or 0) if r.order_id else None,
            )
            for r in rows
        ]
    }


async def get_distribution(
    db: Database, group_id: uuid.UUID, distribution_id: uuid.UUID, user_id: uuid.UUID | None
) -> Json:
    async with db.connection() as conn:
        row = await require_distribution(conn, group_id, distribution_id)
        order = (
            None
            if user_id is None
            else await orders_repo.member_order(conn, distribution_id, user_id)
        )
    return distribution_json(row, my_order_ref(order.id, order.total_cents) if order else None)


async def get_offer(db: Database, group_id: uuid.UUID, distribution_id: uuid.UUID) -> Json:
    """The active products offered, by category (in the order of the query: category, name)."""
    async with db.connection() as conn:
        row = await require_distribution(conn, group_id, distribution_id)
        products = await catalog_repo.offer(conn, distribution_id)
    categories: dict[str, list[Json]] = {}
    for p in products:
        categories.setdefault(p.category, []).append(
            {
                "product_id": str(p.id),
                "name": p.name,
                "category": p.category,
                "unit_label": p.unit_label,
                "bulk": p.bulk,
                "price_cents": p.price_cents,
                "out_of_stock": p.stock is not None and p.stock <= 0,
            }
        )
    return {
        "distribution": distribution_json(row),
        "categories": [{"name": name, "products": items} for name, items in categories.items()],
    }


async def schedule_distribution(
    conn: Connection,
    group_id: uuid.UUID,
    body: DistributionCreate,
    created_by: uuid.UUID | None,
    distribution_id: uuid.UUID | None = None,
) -> Json | None:
    """Create a distribution with its offer (a product without price: its catalog price) and
    announce it; None when that id already exists (the seed runs again)."""
    catalog = {r.id: r for r in await catalog_repo.list_products(conn, group_id)}
    prices: list[tuple[uuid.UUID, int]] = []
    for offered in body.products:
        product = catalog.get(offered.product_id)
        if product is None:
            raise Problem(
                422,
                "unknown-product",
                "Un des produits n'existe pas dans ce groupe.",
                "One of the products does not exist in this group.",
                errors=[{"field": "products", "message": str(offered.product_id)}],
            )
        price = offered.price_cents
        prices.append((offered.product_id, product.unit_price_cents if price is None else price))
    row = await repo.insert_distribution(
        conn,
        distribution_id or uuid.uuid4(),
        group_id,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        opens_at=body.opens_at,
        closes_at=body.closes_at,
        place_name=body.place_name,
        place_address=body.place_address,
        created_by=created_by,
    )
    if row is None:
        return None
    await repo.insert_distribution_products(conn, row.id, prices)
    await publish(
        conn,
        DistributionScheduledV1(**distribution_event(row)),
        row.id,
    )
    return distribution_json(row)


async def create_distribution(
    db: Database, group_id: uuid.UUID, body: DistributionCreate, created_by: uuid.UUID | None
) -> Json:
    errors = schedule_errors(
        body.opens_at, body.closes_at, body.starts_at, body.ends_at, datetime.now(UTC)
    )
    if errors:
        # Rules between the dates and against today's date, which JSON Schema cannot state: the
        # request is well formed, its values conflict (422 is kept for what the schema states).
        raise Problem(
            409,
            "invalid-dates",
            "Les dates de la distribution ne sont pas cohérentes.",
            "The distribution's dates are not consistent.",
            errors=errors,
        )
    async with db.transaction() as conn:
        created = await schedule_distribution(conn, group_id, body, created_by)
    assert created is not None, "a new id never conflicts"
    return created


async def announce_due(db: Database) -> int:
    """Emit opened/closed events for distributions whose time passed (once, across replicas)."""
    count = 0
    async with db.transaction() as conn:
        for row in await repo.claim_opened(conn):
            if row.closes_at > row.db_now:  # a distribution created already closed never "opens"
                await publish(
                    conn,
                    DistributionOpenedV1(**distribution_event(row)),
                    row.id,
                )
                count += 1
        for row in await repo.claim_closed(conn):
            await publish(
                conn,
                DistributionClosedV1(**distribution_event(row)),
                row.id,
            )
            count += 1
    return count
