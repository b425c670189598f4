"""Request bodies and query parameters (pydantic); the same models document the OpenAPI."""

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from annotated_types import Interval
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    WithJsonSchema,
    field_validator,
)

from shared.openapi import json_number, omit_null
from shared.text import MultiLineText, SingleLineText

PARIS = ZoneInfo("Europe/Paris")
# What parse_quantity takes for some product: per piece a whole 1..99, bulk > 0 and ≤ 50 with at
# most 3 decimals ("0,5" or "0.5"). A value no product takes gets a 422; one that only the other
# kind of product takes ("0,5" of a product sold per piece) a 409 (problems.quantity_status).
_WHOLE = r"(?:0?[1-9]|[1-9][0-9])(?:[.,]0{1,3})?"
_BULK = r"[0-4]?[0-9][.,](?:[1-9][0-9]{0,2}|0[1-9][0-9]?|00[1-9])"
_QUANTITIES: list[dict[str, object]] = [
    {"type": "string", "pattern": f"^(?:{_WHOLE}|{_BULK})$"},
    {"type": "integer", "minimum": 1, "maximum": 99},
    # 3 decimals at most, so the smallest is 0.001 (not 5e-324, which rounds to 0).
    {"type": "number", "minimum": 0.001, "maximum": 50, "multipleOf": 0.001},
]
_DESCRIPTION = '"0,5", "0.5", "1" or a number: a whole 1..99 per piece, bulk > 0 and ≤ 50'
QUANTITY_SCHEMA = {"anyOf": _QUANTITIES, "description": _DESCRIPTION}
RawQuantity = Annotated[StrictStr | StrictInt | StrictFloat, WithJsonSchema(QUANTITY_SCHEMA)]
# A correction may also set a line to 0 (the product is taken out of the order).
CORRECTION_QUANTITY_SCHEMA = {
    "anyOf": [*_QUANTITIES, {"enum": ["0", 0]}],
    "description": _DESCRIPTION + "; 0 removes the product",
}
CorrectionQuantity = Annotated[
    StrictStr | StrictInt | StrictFloat, WithJsonSchema(CORRECTION_QUANTITY_SCHEMA)
]
# Stock in the product's unit, 3 decimals at most; null: not tracked (unlimited).
STOCK_SCHEMA = {
    "anyOf": [
        {"type": "number", "minimum": 0, "maximum": 9999999.999, "multipleOf": 0.001},
        {"type": "string", "pattern": r"^[0-9]{1,7}(?:\.[0-9]{1,3})?$"},
        {"type": "null"},
    ]
}
Stock = Annotated[
    Decimal | None,
    Field(ge=0, max_digits=10, decimal_places=3),
    WithJsonSchema(STOCK_SCHEMA),
]
Cents = Annotated[int, Interval(ge=0, le=10_000_000), BeforeValidator(json_number)]
NOT_NULL = Field(default=None, json_schema_extra=omit_null)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AddLine(_Body):
    product_id: uuid.UUID
    quantity: RawQuantity = Field(default="1", description='"0,5", "0.5", "1" or a number')


class SetQuantity(_Body):
    quantity: RawQuantity


class ValidateOrder(_Body):
    payment_method: Literal["on_site"] = "on_site"


class ProductCreate(_Body):
    name: SingleLineText = Field(min_length=1, max_length=200)
    category: SingleLineText = Field(min_length=1, max_length=100)
    unit_label: SingleLineText = Field(min_length=1, max_length=50)
    unit_price_cents: Cents
    bulk: StrictBool = False
    stock: Stock = None
    active: StrictBool = True


class ProductPatch(_Body):
    """The fields to change; `null` is refused except for `stock` (no longer tracked)."""

    name: Annotated[SingleLineText, Field(min_length=1, max_length=200)] | None = NOT_NULL
    category: Annotated[SingleLineText, Field(min_length=1, max_length=100)] | None = NOT_NULL
    unit_label: Annotated[SingleLineText, Field(min_length=1, max_length=50)] | None = NOT_NULL
    unit_price_cents: Cents | None = NOT_NULL
    bulk: StrictBool | None = NOT_NULL
    stock: Stock = None
    active: StrictBool | None = NOT_NULL


class CopyCatalog(_Body):
    target_group_id: uuid.UUID


class OfferedProduct(_Body):
    product_id: uuid.UUID
    price_cents: Cents | None = None


def _paris(value: datetime) -> datetime:
    return value.replace(tzinfo=PARIS) if value.tzinfo is None else value


class DistributionCreate(_Body):
    starts_at: datetime
    ends_at: datetime
    opens_at: datetime
    closes_at: datetime
    place_name: SingleLineText = Field(min_length=1, max_length=200)
    place_address: SingleLineText = Field(min_length=1, max_length=300)
    products: list[OfferedProduct] = Field(default_factory=list, max_length=1000)

    @field_validator("starts_at", "ends_at", "opens_at", "closes_at")
    @classmethod
    def in_paris(cls, value: datetime) -> datetime:
        return _paris(value)


class PaymentCreate(_Body):
    user_id: uuid.UUID
    amount_cents: Annotated[
        int,
        Field(ge=-10_000_000, le=10_000_000, json_schema_extra={"not": {"const": 0}}),
        BeforeValidator(json_number),
    ]
    method: Literal["cash", "cheque", "card", "transfer"]
    distribution_id: uuid.UUID | None = None

    @field_validator("amount_cents")
    @classmethod
    def not_zero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("amount must not be zero / le montant ne peut pas être nul")
        return value


class CorrectionLine(_Body):
    product_id: uuid.UUID
    quantity: CorrectionQuantity


class OrderCorrection(_Body):
    lines: list[CorrectionLine] = Field(min_length=1, max_length=200)
    note: MultiLineText | None = Field(default=None, max_length=500)


class LastOrdersQuery(BaseModel):
    limit: int = Field(default=20, ge=1, le=100)


class DateRange(BaseModel):
    """Days from `from` to `to`, both included; a `to` before `from` is an empty range."""

    model_config = ConfigDict(populate_by_name=True)

    from_: date = Field(alias="from", description="First day, included")
    to: date = Field(description="Last day, included (before `from`: nothing)")
