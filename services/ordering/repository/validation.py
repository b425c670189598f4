"""A validation in two calls (migrations/0002_one_round_trip_use_cases.sql): `validation_start`
reads (claim, distribution, member's lock, cart), `validation_save` writes everything and takes
the stock last (« le stock ne passe jamais sous zéro », « un panier validé deux fois fait une
commande »: see the migration)."""

from decimal import Decimal
from uuid import UUID

from services.ordering.domain import MemberDistribution
from services.ordering.repository.carts import distribution_of, member_cart_of
from services.ordering.repository.orders import line_rows
from services.ordering.repository.rows import (
    KeptAnswer,
    Line,
    Order,
    ValidationStart,
)
from shared.db import Connection
from shared.outbox import OutboxRow


async def validation_start(
    conn: Connection, scope: str, key: str | None, mine: MemberDistribution
) -> ValidationStart:
    row = await conn.fetchrow(
        "SELECT * FROM validation_start($1, $2, $3, $4, $5)",
        scope,
        key,
        mine.group_id,
        mine.distribution_id,
        mine.user_id,
    )
    assert row is not None, "a function with OUT parameters answers one row"
    distribution = distribution_of(row["distribution"])
    return ValidationStart(
        claimed=row["claimed"],
        kept_status=row["kept_status"],
        kept_response=row["kept_response"],
        distribution=distribution,
        cart=None if distribution is None else member_cart_of(row["cart"]),
    )


async def validation_save(
    conn: Connection,
    order: Order,
    *,
    created: bool,
    debit_cents: int,
    lines: list[Line],
    event: OutboxRow,
    kept: KeptAnswer | None,
    stock: dict[UUID, Decimal],
) -> list[UUID]:
    """The order row as `order` states it (inserted when `created`, else its total updated), its
    changed `lines`, the ledger debit, the emptied cart, the event, the kept answer, then the
    stock: the products whose stock falls short (the caller must then roll back)."""
    short: list[UUID] = await conn.fetchval(
        "SELECT validation_save($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,"
        " $15, $16, $17)",
        order.id,
        "order" if created else "order_update",
        order.distribution_id,
        order.group_id,
        order.user_id,
        order.total_cents,
        -debit_cents,
        line_rows(order.id, lines),
        event.event_id,
        event.routing_key,
        event.body,
        *KeptAnswer.columns(kept),
        list(stock),
        list(stock.values()),
    )
    return short
