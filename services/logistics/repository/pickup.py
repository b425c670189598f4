"""SQL of pickup choices (with the consent of a need-delivery choice)."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from services.logistics.domain import Choice, SharedField
from shared.db import Connection
from shared.queries import returned


@dataclass(frozen=True)
class PickupChoice:
    choice: Choice
    # Set together, for a need-delivery choice only (the table's CHECK).
    consent_fields: list[SharedField] | None
    consent_text_version: str | None
    consented_at: datetime | None


async def pickup_choice(
    conn: Connection, distribution_id: uuid.UUID, user_id: uuid.UUID
) -> PickupChoice | None:
    row = await conn.fetchrow(
        "SELECT choice, consent_fields, consent_text_version, consented_at FROM pickup_choices"
        " WHERE distribution_id = $1 AND user_id = $2",
        distribution_id,
        user_id,
    )
    if row is None:
        return None
    return PickupChoice(
        choice=row["choice"],
        consent_fields=row["consent_fields"],
        consent_text_version=row["consent_text_version"],
        consented_at=row["consented_at"],
    )


_CHOICE = "SELECT choice FROM pickup_choices WHERE distribution_id = $1 AND user_id = $2"
_CHOICE_FOR_SHARE = (
    "SELECT choice FROM pickup_choices WHERE distribution_id = $1 AND user_id = $2 FOR SHARE"
)


async def is_volunteer(
    conn: Connection, distribution_id: uuid.UUID, user_id: uuid.UUID, *, for_share: bool = False
) -> bool:
    """`for_share`: the volunteer's choice cannot change until the caller's transaction ends."""
    choice = await conn.fetchval(
        _CHOICE_FOR_SHARE if for_share else _CHOICE, distribution_id, user_id
    )
    return bool(choice == "can_deliver")


async def upsert_pickup_choice(
    conn: Connection,
    distribution_id: uuid.UUID,
    user_id: uuid.UUID,
    choice: Choice,
    consent_fields: list[SharedField] | None,
    consent_text_version: str | None,
) -> None:
    await conn.execute(
        "INSERT INTO pickup_choices (distribution_id, user_id, choice, consent_fields,"
        " consent_text_version, consented_at)"
        " VALUES ($1, $2, $3, $4, $5,"
        " CASE WHEN $4::text[] IS NULL THEN NULL ELSE now() END)"
        " ON CONFLICT (distribution_id, user_id) DO UPDATE SET choice = EXCLUDED.choice,"
        " consent_fields = EXCLUDED.consent_fields,"
        " consent_text_version = EXCLUDED.consent_text_version,"
        " consented_at = EXCLUDED.consented_at, chosen_at = now()",
        distribution_id,
        user_id,
        choice,
        consent_fields,
        consent_text_version,
    )


async def delete_pickup_choice(
    conn: Connection, distribution_id: uuid.UUID, user_id: uuid.UUID
) -> bool:
    """True when there was one."""
    return await returned(
        conn,
        "DELETE FROM pickup_choices WHERE distribution_id = $1 AND user_id = $2 RETURNING true",
        distribution_id,
        user_id,
    )


async def delete_pickup_choices_of_member(
    conn: Connection, user_id: uuid.UUID, group_id: uuid.UUID
) -> None:
    await conn.execute(
        "DELETE FROM pickup_choices c USING distributions d"
        " WHERE d.id = c.distribution_id AND c.user_id = $1 AND d.group_id = $2",
        user_id,
        group_id,
    )


async def delete_pickup_choices_of_user(conn: Connection, user_id: uuid.UUID) -> None:
    await conn.execute(
        "DELETE FROM pickup_choices c USING distributions d"
        " WHERE d.id = c.distribution_id AND c.user_id = $1",
        user_id,
    )


@dataclass(frozen=True)
class MemberChoice:
    """A volunteer's or a pickup-only member's choice, with their name, for the coordinator."""

    user_id: uuid.UUID
    choice: Choice
    first_name: str
    postcode: str | None


async def volunteers_and_pickup_only(
    conn: Connection, distribution_id: uuid.UUID
) -> list[MemberChoice]:
    rows = await conn.fetch(
        "SELECT c.user_id, c.choice, coalesce(m.first_name, '') AS first_name, m.postcode"
        " FROM pickup_choices c LEFT JOIN members m ON m.user_id = c.user_id"
        " WHERE c.distribution_id = $1 AND c.choice IN ('can_deliver', 'pickup_only')"
        " ORDER BY m.first_name, c.user_id",
        distribution_id,
    )
    return [MemberChoice(r["user_id"], r["choice"], r["first_name"], r["postcode"]) for r in rows]
