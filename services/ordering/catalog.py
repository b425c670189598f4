"""Use cases: a group's catalog of products (coordinators)."""

import uuid

from services.ordering.models import ProductCreate, ProductPatch
from services.ordering.problems import product_not_found
from services.ordering.repository import catalog as repo
from services.ordering.views import Json, product_json
from shared.db import Database
from shared.problems import Problem


async def list_products(db: Database, group_id: uuid.UUID) -> Json:
    """Every product, inactive ones included, by category then name."""
    async with db.connection() as conn:
        rows = await repo.list_products(conn, group_id)
    return {"products": [product_json(r) for r in rows]}


async def create_product(db: Database, group_id: uuid.UUID, body: ProductCreate) -> Json:
    async with db.transaction() as conn:
        row = await repo.insert_product(
            conn,
            uuid.uuid4(),
            group_id,
            name=body.name,
            category=body.category,
            unit_label=body.unit_label,
            unit_price_cents=body.unit_price_cents,
            bulk=body.bulk,
            stock=body.stock,
            active=body.active,
        )
    assert row is not None, "a new id never conflicts"
    return product_json(row)


NOT_NULL_FIELDS = ("name", "category", "unit_label", "unit_price_cents", "bulk", "active")


async def change_product(
    db: Database, group_id: uuid.UUID, product_id: uuid.UUID, body: ProductPatch
) -> Json:
    """Change the fields sent; `null` is refused except for `stock` (no longer tracked)."""
    sent = body.model_fields_set
    for name in NOT_NULL_FIELDS:
        if name in sent and getattr(body, name) is None:
            raise Problem(
                422,
                "invalid-input",
                f"« {name} » ne peut pas être vide.",
                f"'{name}' cannot be null.",
                errors=[{"field": name, "message": "null"}],
            )
    changes = repo.ProductChanges(
        name=body.name,
        category=body.category,
        unit_label=body.unit_label,
        unit_price_cents=body.unit_price_cents,
        bulk=body.bulk,
        active=body.active,
        set_stock="stock" in sent,
        stock=body.stock,
    )
    async with db.transaction() as conn:
        row = await repo.update_product(conn, group_id, product_id, changes)
    if row is None:
        raise product_not_found()
    return product_json(row)


async def copy_catalog(db: Database, source: uuid.UUID, target: uuid.UUID) -> Json:
    """Copy the products whose name the target group lacks (coordinator of both)."""
    if target == source:
        raise Problem(422, "same-group", "Choisissez un autre groupe.", "Choose another group.")
    async with db.transaction() as conn:
        copied, skipped = await repo.copy_catalog(conn, source, target)
    return {"copied": copied, "skipped": skipped}
