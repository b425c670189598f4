"""Request bodies and query parameters (pydantic); the same models document the OpenAPI."""

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StrictStr,
    field_validator,
)

from services.ordering.text import MultiLineText, SingleLineText

PARIS = ZoneInfo("Europe/Paris")
RawQuantity = StrictStr | StrictInt | StrictFloat


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
    unit_price_cents: int = Field(ge=0, le=10_000_000)
    bulk: bool = False
    stock: Decimal | None = Field(default=None, ge=0, max_digits=10, decimal_places=3)
    active: bool = True


class ProductPatch(_Body):
    name: SingleLineText | None = Field(default=None, min_length=1, max_length=200)
    category: SingleLineText | None = Field(default=None, min_length=1, max_length=100)
    unit_label: SingleLineText | None = Field(default=None, min_length=1, max_length=50)
    unit_price_cents: int | None = Field(default=None, ge=0, le=10_000_000)
    bulk: bool | None = None
    stock: Decimal | None = Field(default=None, ge=0, max_digits=10, decimal_places=3)
    active: bool | None = None


class CopyCatalog(_Body):
    target_group_id: uuid.UUID


class OfferedProduct(_Body):
    product_id: uuid.UUID
    price_cents: int | None = Field(default=None, ge=0, le=10_000_000)


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
    amount_cents: int = Field(ge=-10_000_000, le=10_000_000)
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
    quantity: RawQuantity


class OrderCorrection(_Body):
    lines: list[CorrectionLine] = Field(min_length=1, max_length=200)
    note: MultiLineText | None = Field(default=None, max_length=500)


class LastOrdersQuery(BaseModel):
    limit: int = Field(default=20, ge=1, le=100)


class DateRange(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: date = Field(alias="from")
    to: date
