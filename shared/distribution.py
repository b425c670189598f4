"""A distribution's identity and times as every service keeps them (ordering owns them; logistics
and notifications copy them from ordering's events). A service adds its own columns by
subclassing `DistributionTimes` (logistics: the default slot capacity)."""

import uuid
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Protocol, Self


class Columns(Protocol):
    """A row read by column name (an asyncpg Record, a dict)."""

    def __getitem__(self, name: str, /) -> Any: ...


@dataclass(frozen=True)
class DistributionTimes:
    id: uuid.UUID
    group_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    opens_at: datetime
    closes_at: datetime

    @classmethod
    def from_columns(cls, row: Columns) -> Self:
        """From a row holding (at least) columns named as the fields: a statement may select
        more (the database clock, a slot) without the dataclass taking them."""
        return cls(**{f.name: row[f.name] for f in fields(cls)})
