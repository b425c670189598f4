"""Explicit SQL over the accounts schema."""

import uuid
from typing import Any

from services.accounts.domain import display_name, email_key, missing_fields
from services.accounts.models import Group, MemberRow, Membership

GROUP_COLUMNS = (
    "id, slug, name, city, coordinator_name, coordinator_email, contact_email,"
    " phone_required, address_required"
)


PERSON_COLUMNS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "street",
    "postcode",
    "city",
    "language",
)


def person_fields(user: Any) -> dict[str, Any]:
    """What a person's own page and the services' contact look-up both show."""
    fields = {f: user[f] for f in PERSON_COLUMNS}
    fields["display_name"] = display_name(user["first_name"], user["last_name"])
    return fields


def group_from_row(row: Any) -> Group:
    return Group(**dict(row), join_path=f"/g/{row['slug']}")


async def group_by_id(conn: Any, group_id: uuid.UUID) -> Group | None:
    row = await conn.fetchrow(f"SELECT {GROUP_COLUMNS} FROM groups WHERE id = $1", group_id)
    return group_from_row(row) if row else None


async def group_by_slug(conn: Any, slug: str) -> Group | None:
    row = await conn.fetchrow(f"SELECT {GROUP_COLUMNS} FROM groups WHERE slug = $1", slug)
    return group_from_row(row) if row else None


async def all_groups(conn: Any) -> list[Group]:
    rows = await conn.fetch(f"SELECT {GROUP_COLUMNS} FROM groups ORDER BY name")
    return [group_from_row(r) for r in rows]


async def user_by_id(conn: Any, user_id: uuid.UUID, for_update: bool = False) -> Any:
    lock = " FOR UPDATE" if for_update else ""
    return await conn.fetchrow(f"SELECT * FROM users WHERE id = $1{lock}", user_id)


async def user_by_email(conn: Any, email: str, for_update: bool = False) -> Any:
    """By the one comparison form of the address, the throttle's too (domain.email_key)."""
    lock = " FOR UPDATE" if for_update else ""
    return await conn.fetchrow(f"SELECT * FROM users WHERE email_key = $1{lock}", email_key(email))


def user_missing(user: Any, group: Group) -> list[str]:
    return missing_fields(
        group.phone_required,
        group.address_required,
        user["phone"],
        {f: user[f] for f in ("street", "postcode", "city")},
    )


async def memberships_of(conn: Any, user: Any) -> list[Membership]:
    rows = await conn.fetch(
        f"SELECT m.role, {', '.join('g.' + c.strip() for c in GROUP_COLUMNS.split(','))}"
        " FROM memberships m JOIN groups g ON g.id = m.group_id"
        " WHERE m.user_id = $1 ORDER BY g.name",
        user["id"],
    )
    result = []
    for row in rows:
        # A Record iterates its values, not its keys.
        group = group_from_row({k: row[k] for k in row.keys() if k != "role"})  # noqa: SIM118
        result.append(Membership(group=group, role=row["role"], missing=user_missing(user, group)))
    return result


async def roles_of(conn: Any, user_id: uuid.UUID) -> dict[str, Any]:
    rows = await conn.fetch("SELECT group_id, role FROM memberships WHERE user_id = $1", user_id)
    return {str(r["group_id"]): r["role"] for r in rows}


async def members_of_group(conn: Any, group: Group) -> list[MemberRow]:
    rows = await conn.fetch(
        "SELECT u.*, m.role FROM memberships m JOIN users u ON u.id = m.user_id"
        " WHERE m.group_id = $1 ORDER BY u.last_name, u.first_name",
        group.id,
    )
    return [
        MemberRow(
            user_id=r["id"],
            first_name=r["first_name"],
            last_name=r["last_name"],
            display_name=display_name(r["first_name"], r["last_name"]),
            email=r["email"],
            phone=r["phone"],
            role=r["role"],
            missing=user_missing(r, group),
        )
        for r in rows
    ]
