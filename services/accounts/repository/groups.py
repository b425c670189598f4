"""Groups and memberships: the `groups` and `memberships` tables."""

import uuid
from dataclasses import dataclass
from typing import cast

from services.accounts.domain import join_path
from services.accounts.models import Group, GroupUpdate, InternalMember
from shared.auth import Role
from shared.db import Connection, Record
from shared.queries import returned

# Every field of a group is a column of `groups`, but its join link (made from the slug).
GROUP_COLUMNS = tuple(name for name in Group.model_fields if name != "join_path")


@dataclass(frozen=True)
class GroupRole:
    """One of a person's memberships."""

    group: Group
    role: Role


@dataclass(frozen=True)
class GroupMember:
    """A member of a group as its coordinators see them."""

    user_id: uuid.UUID
    first_name: str
    last_name: str
    email: str
    phone: str | None
    street: str | None
    postcode: str | None
    city: str | None
    role: Role


def _role(value: str) -> Role:
    # The column's CHECK allows 'member' and 'coordinator' only.
    return cast(Role, value)


def _group(row: Record) -> Group:
    """The group of a row that selects the columns of `groups` (and maybe others)."""
    return Group(**{name: row[name] for name in GROUP_COLUMNS}, join_path=join_path(row["slug"]))


async def group_by_id(conn: Connection, group_id: uuid.UUID) -> Group | None:
    row = await conn.fetchrow(
        "SELECT id, slug, name, city, coordinator_name, coordinator_email, contact_email,"
        " phone_required, address_required FROM groups WHERE id = $1",
        group_id,
    )
    return _group(row) if row else None


async def group_by_slug(conn: Connection, slug: str) -> Group | None:
    group_id: uuid.UUID | None = await conn.fetchval("SELECT id FROM groups WHERE slug = $1", slug)
    return None if group_id is None else await group_by_id(conn, group_id)


async def all_groups(conn: Connection) -> list[Group]:
    rows = await conn.fetch(
        "SELECT id, slug, name, city, coordinator_name, coordinator_email, contact_email,"
        " phone_required, address_required FROM groups ORDER BY name"
    )
    return [_group(r) for r in rows]


# The same row written two ways: an admin's new group (a slug taken raises), or the demo data's
# (a group already there by id or slug stays as it is).
_INSERT_GROUP = (
    "INSERT INTO groups (id, slug, name, city, coordinator_name, coordinator_email,"
    " contact_email, phone_required, address_required) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)"
    " RETURNING true"
)
_INSERT_GROUP_IF_ABSENT = (
    "INSERT INTO groups (id, slug, name, city, coordinator_name, coordinator_email,"
    " contact_email, phone_required, address_required) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)"
    " ON CONFLICT DO NOTHING RETURNING true"
)


async def insert_group(conn: Connection, group: Group, *, if_absent: bool = False) -> bool:
    """Whether the group was written (False: `if_absent` and already there). Without
    `if_absent`, raises asyncpg.UniqueViolationError when the slug is taken."""
    return await returned(
        conn,
        _INSERT_GROUP_IF_ABSENT if if_absent else _INSERT_GROUP,
        *(getattr(group, name) for name in GROUP_COLUMNS),  # the order of the column list
    )


async def update_group(conn: Connection, group_id: uuid.UUID, changes: GroupUpdate) -> bool:
    """One fixed statement: a column not named in `changes.model_fields_set` keeps its value.
    False when there is no such group."""
    return await returned(
        conn,
        "UPDATE groups SET"
        " name = CASE WHEN 'name' = ANY($2::text[]) THEN $3::text ELSE name END,"
        " city = CASE WHEN 'city' = ANY($2::text[]) THEN $4::text ELSE city END,"
        " coordinator_name = CASE WHEN 'coordinator_name' = ANY($2::text[])"
        " THEN $5::text ELSE coordinator_name END,"
        " coordinator_email = CASE WHEN 'coordinator_email' = ANY($2::text[])"
        " THEN $6::text ELSE coordinator_email END,"
        " contact_email = CASE WHEN 'contact_email' = ANY($2::text[])"
        " THEN $7::text ELSE contact_email END,"
        " phone_required = CASE WHEN 'phone_required' = ANY($2::text[])"
        " THEN $8::boolean ELSE phone_required END,"
        " address_required = CASE WHEN 'address_required' = ANY($2::text[])"
        " THEN $9::boolean ELSE address_required END"
        " WHERE id = $1 RETURNING true",
        group_id,
        sorted(changes.model_fields_set),
        changes.name,
        changes.city,
        changes.coordinator_name,
        changes.coordinator_email,
        changes.contact_email,
        changes.phone_required,
        changes.address_required,
    )


async def memberships_of(conn: Connection, user_id: uuid.UUID) -> list[GroupRole]:
    rows = await conn.fetch(
        "SELECT m.role, g.id, g.slug, g.name, g.city, g.coordinator_name, g.coordinator_email,"
        " g.contact_email, g.phone_required, g.address_required"
        " FROM memberships m JOIN groups g ON g.id = m.group_id"
        " WHERE m.user_id = $1 ORDER BY g.name",
        user_id,
    )
    return [GroupRole(group=_group(r), role=_role(r["role"])) for r in rows]


async def roles_of(conn: Connection, user_id: uuid.UUID) -> dict[str, Role]:
    """Group id (text) -> role, as an access token carries them."""
    rows = await conn.fetch("SELECT group_id, role FROM memberships WHERE user_id = $1", user_id)
    return {str(r["group_id"]): _role(r["role"]) for r in rows}


async def role_in(conn: Connection, user_id: uuid.UUID, group_id: uuid.UUID) -> Role | None:
    role: str | None = await conn.fetchval(
        "SELECT role FROM memberships WHERE user_id = $1 AND group_id = $2", user_id, group_id
    )
    return _role(role) if role is not None else None


async def add_member(
    conn: Connection, user_id: uuid.UUID, group_id: uuid.UUID, role: Role = "member"
) -> bool:
    """False when already a member (the role they have stays)."""
    return await returned(
        conn,
        "INSERT INTO memberships (user_id, group_id, role) VALUES ($1, $2, $3)"
        " ON CONFLICT DO NOTHING RETURNING true",
        user_id,
        group_id,
        role,
    )


async def remove_member(conn: Connection, user_id: uuid.UUID, group_id: uuid.UUID) -> bool:
    return await returned(
        conn,
        "DELETE FROM memberships WHERE user_id = $1 AND group_id = $2 RETURNING true",
        user_id,
        group_id,
    )


async def make_coordinator(conn: Connection, group_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    """False when the person is not a member of the group."""
    return await returned(
        conn,
        "UPDATE memberships SET role = 'coordinator' WHERE group_id = $1 AND user_id = $2"
        " RETURNING true",
        group_id,
        user_id,
    )


async def members_of_group(conn: Connection, group_id: uuid.UUID) -> list[GroupMember]:
    rows = await conn.fetch(
        "SELECT u.id AS user_id, u.first_name, u.last_name, u.email, u.phone, u.street,"
        " u.postcode, u.city, m.role FROM memberships m JOIN users u ON u.id = m.user_id"
        " WHERE m.group_id = $1 ORDER BY u.last_name, u.first_name",
        group_id,
    )
    return [GroupMember(**{**dict(r), "role": _role(r["role"])}) for r in rows]


async def members_for_services(conn: Connection, group_id: uuid.UUID) -> list[InternalMember]:
    rows = await conn.fetch(
        "SELECT u.id AS user_id, m.role, u.language, u.first_name FROM memberships m"
        " JOIN users u ON u.id = m.user_id WHERE m.group_id = $1",
        group_id,
    )
    return [InternalMember.model_validate(dict(r)) for r in rows]
