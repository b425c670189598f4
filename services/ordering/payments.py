"""Use cases: payments recorded by a coordinator, a member's balance and ledger."""

import uuid

from services.ordering.distributions import require_distribution
from services.ordering.events import publish
from services.ordering.models import PaymentCreate
from services.ordering.repository import ledger as repo
from services.ordering.views import Json, ledger_json
from shared.contracts.ordering import PaymentRecordedV1
from shared.db import Connection, Database
from shared.idempotency import once


async def record_payment(
    db: Database,
    group_id: uuid.UUID,
    payment: PaymentCreate,
    recorded_by: uuid.UUID,
    idempotency_key: str | None,
) -> tuple[int, Json]:
    """A credit on the member's ledger (201), once per Idempotency-Key of this coordinator."""
    async with db.transaction() as conn:

        async def record() -> tuple[int, Json]:
            return 201, await _record(conn, group_id, payment, recorded_by)

        return await once(conn, f"payment:{group_id}:{recorded_by}", idempotency_key, record)


async def _record(
    conn: Connection, group_id: uuid.UUID, payment: PaymentCreate, recorded_by: uuid.UUID
) -> Json:
    user_id, distribution_id = payment.user_id, payment.distribution_id
    if distribution_id is not None:
        await require_distribution(conn, group_id, distribution_id)
    payment_id = uuid.uuid4()
    entry = await repo.add_ledger_entry(
        conn,
        group_id,
        user_id,
        "payment",
        payment.amount_cents,
        distribution_id=distribution_id,
        payment_id=payment_id,
        method=payment.method,
        recorded_by=recorded_by,
    )
    await publish(
        conn,
        PaymentRecordedV1(
            payment_id=payment_id,
            group_id=group_id,
            user_id=user_id,
            amount_cents=payment.amount_cents,
            method=payment.method,
            distribution_id=distribution_id,
            recorded_by=recorded_by,
            recorded_at=entry.created_at,
        ),
        payment_id,
    )
    return {
        **ledger_json(entry),
        "user_id": str(user_id),
        "group_id": str(group_id),
        "balance_cents": await repo.balance(conn, group_id, user_id),
    }


async def ledger(db: Database, group_id: uuid.UUID, user_id: uuid.UUID) -> Json:
    """The member's balance (sum of the entries) and entries, newest first."""
    async with db.connection() as conn:
        entries = await repo.ledger(conn, group_id, user_id)
    return {
        "user_id": str(user_id),
        "balance_cents": sum(e.amount_cents for e in entries),
        "entries": [ledger_json(e) for e in entries],
    }
