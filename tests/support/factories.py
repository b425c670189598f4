"""Test data built the same way in several suites: order events, a person's contact, and an
answer as it crosses HTTP."""

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from shared.contracts.ordering import OrderLineV1, OrderValidatedV1


def order_line(
    name: str = "Lessive 1 L",
    unit: str = "1 L",
    *,
    bulk: bool = False,
    quantity: str = "1",
    unit_price_cents: int = 225,
    line_total_cents: int = 225,
) -> OrderLineV1:
    """One line of a validated order; by default one Lessive 1 L at 2,25 €."""
    return OrderLineV1(
        product_id=uuid.uuid4(),
        product_name=name,
        unit_label=unit,
        bulk=bulk,
        quantity=quantity,
        unit_price_cents=unit_price_cents,
        line_total_cents=line_total_cents,
    )


def order_validated(
    distribution_id: uuid.UUID,
    group_id: uuid.UUID,
    user_id: uuid.UUID,
    lines: list[OrderLineV1],
    total_cents: int,
    at: datetime | None = None,
) -> OrderValidatedV1:
    return OrderValidatedV1(
        order_id=uuid.uuid4(),
        distribution_id=distribution_id,
        group_id=group_id,
        user_id=user_id,
        lines=lines,
        total_cents=total_cents,
        at=at or datetime.now(UTC),
    )


def contact_fields(**overrides: Any) -> dict[str, Any]:
    """Sarah VARDA's contact as accounts answers it (fields of PersonContact / Contact)."""
    return {
        "user_id": uuid.uuid4(),
        "first_name": "Sarah",
        "last_name": "VARDA",
        "display_name": "VARDA Sarah",
        "email": "sarah@example.org",
        "phone": "06 12 34 56 78",
        "street": "4 rue des Lilas",
        "postcode": "31500",
        "city": "Toulouse",
        "language": "fr",
        **overrides,
    }


def wire(model: BaseModel) -> object:
    """What goes over HTTP: the JSON text a service answers with its model (fields under their
    published names, e.g. `from` for `from_`), read back."""
    return json.loads(model.model_dump_json(by_alias=True))
