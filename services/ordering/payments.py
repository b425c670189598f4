"""Use cases: payments recorded by a coordinator, a member's balance and ledger."""

import uuid

from services.ordering.events import outbox_row
from services.ordering.models import PaymentCreate
from services.ordering.problems import distribution_not_found
from services.ordering.repository import ledger as repo
from services.ordering.repository.rows import KeptAnswer
from services.ordering.views import Json, ledger_json
from shared.clients.ordering import LedgerEntry
from shared.contracts.ordering import PaymentRecordedV1
from shared.db import Database
from shared.idempotency import kept


async def record_payment(
    db: Database,
    group_id: uuid.UUID,
    payment: PaymentCreate,
    recorded_by: uuid.UUID,
    idempotency_key: str | None,
) -> tuple[int, Json]:
    """A credit on the member's ledger (201), once per Idempotency-Key of this coordinator.

    Two statements between BEGIN and COMMIT: the claim, the distribution check and the clock;
    then the entry, its event and the kept answer (repository/ledger.py)."""
    scope = f"payment:{group_id}:{recorded_by}"
    async with db.transaction() as conn:
        start = await repo.payment_start(
            conn, scope, idempotency_key, group_id, payment.distribution_id
        )
        if not start.claimed:
            assert idempotency_key is not None, "without a key there is nothing to claim"
            return await kept(conn, scope, idempotency_key)
        if not start.distribution_found:
            raise distribution_not_found()
        payment_id = uuid.uuid4()
        # The entry as the statement writes it: created_at defaults to now(), the transaction's
        # start, which the first statement read.
        entry = LedgerEntry(
            entry_id=uuid.uuid4(),
            kind="payment",
            amount_cents=payment.amount_cents,
            method=payment.method,
            order_id=None,
            distribution_id=payment.distribution_id,
            payment_id=payment_id,
            note=None,
            created_at=start.db_now,
        )
        event = PaymentRecordedV1(
            payment_id=payment_id,
            group_id=group_id,
            user_id=payment.user_id,
            amount_cents=payment.amount_cents,
            method=payment.method,
            distribution_id=payment.distribution_id,
            recorded_by=recorded_by,
            recorded_at=entry.created_at,
        )
        answer = {**ledger_json(entry), "user_id": str(payment.user_id), "group_id": str(group_id)}
        answer["balance_cents"] = await repo.save_payment(
            conn,
            entry,
            group_id,
            payment.user_id,
            recorded_by,
            outbox_row(event, payment_id),
            None if idempotency_key is None else KeptAnswer(scope, idempotency_key, 201, answer),
        )
        return 201, answer


async def ledger(db: Database, group_id: uuid.UUID, user_id: uuid.UUID) -> Json:
    """The member's balance (sum of the entries) and entries, newest first."""
    async with db.connection() as conn:
        entries = await repo.ledger(conn, group_id, user_id)
    return {
        "user_id": str(user_id),
        "balance_cents": sum(e.amount_cents for e in entries),
        "entries": [ledger_json(e) for e in entries],
    }
