"""Groups: finding them, who may see them, and what the association's admins change."""

import re
import uuid

import asyncpg

from services.accounts.domain import display_name
from services.accounts.models import (
    SLUG_PATTERN,
    Group,
    GroupCreate,
    GroupList,
    GroupUpdate,
    InternalMember,
    InternalMemberList,
    MemberList,
    MemberRow,
)
from services.accounts.people import missing_for
from services.accounts.repository import groups as repo
from services.accounts.repository.groups import GroupChanges, NewGroup
from shared.auth import Principal
from shared.db import Connection, Database
from shared.problems import Problem, forbidden, not_found

SLUG = re.compile(SLUG_PATTERN)


async def require_group(conn: Connection, group_id: uuid.UUID) -> Group:
    group = await repo.group_by_id(conn, group_id)
    if group is None:
        raise not_found("Groupe", "Group")
    return group


async def require_role(
    conn: Connection, caller: Principal, group_id: uuid.UUID, coordinator: bool = False
) -> None:
    """The membership as it is now, not as the token says: whoever left is refused at once."""
    if caller.service is not None or caller.admin:
        return
    role = await repo.role_in(conn, caller.user_id, group_id)
    if role is None:
        raise forbidden()
    if coordinator and role != "coordinator":
        raise Problem(
            403,
            "coordinator-only",
            "Réservé aux coordinateurs du groupe.",
            "Only the group's coordinators may do this.",
        )


async def list_groups(db: Database) -> GroupList:
    async with db.connection() as conn:
        return GroupList(groups=await repo.all_groups(conn))


async def group_by_slug(db: Database, slug: str) -> Group:
    # Not a slug (NUL, bad UTF-8, too long): not a group, and nothing Postgres would refuse.
    group = None
    if SLUG.match(slug):
        async with db.connection() as conn:
            group = await repo.group_by_slug(conn, slug)
    if group is None:
        raise not_found("Groupe", "Group")
    return group


async def group_of(db: Database, caller: Principal, group_id: uuid.UUID) -> Group:
    """A group its member (or a service, an admin) asks for."""
    async with db.connection() as conn:
        await require_role(conn, caller, group_id)
        return await require_group(conn, group_id)


async def members(db: Database, caller: Principal, group_id: uuid.UUID) -> MemberList:
    """The members, for the group's coordinators (and admins)."""
    async with db.connection() as conn:
        await require_role(conn, caller, group_id, coordinator=True)
        group = await require_group(conn, group_id)
        found = await repo.members_of_group(conn, group.id)
    return MemberList(
        members=[
            MemberRow(
                user_id=m.user_id,
                first_name=m.first_name,
                last_name=m.last_name,
                display_name=display_name(m.first_name, m.last_name),
                email=m.email,
                phone=m.phone,
                role=m.role,
                missing=missing_for(m, group),
            )
            for m in found
        ]
    )


async def group_for_services(db: Database, group_id: uuid.UUID) -> Group:
    async with db.connection() as conn:
        return await require_group(conn, group_id)


async def members_for_services(db: Database, group_id: uuid.UUID) -> InternalMemberList:
    async with db.connection() as conn:
        await require_group(conn, group_id)
        found = await repo.members_for_services(conn, group_id)
    return InternalMemberList(
        members=[
            InternalMember(
                user_id=m.user_id, role=m.role, language=m.language, first_name=m.first_name
            )
            for m in found
        ]
    )


async def create_group(db: Database, body: GroupCreate) -> Group:
    async with db.transaction() as conn:
        try:
            await repo.insert_group(
                conn,
                NewGroup(
                    slug=body.slug,
                    name=body.name,
                    city=body.city,
                    coordinator_name=body.coordinator_name,
                    coordinator_email=body.coordinator_email or "",
                    contact_email=body.contact_email or "",
                    phone_required=body.phone_required,
                    address_required=body.address_required,
                ),
            )
        except asyncpg.UniqueViolationError:
            raise Problem(
                409,
                "slug-taken",
                "Ce lien de groupe existe déjà.",
                "This group link already exists.",
            ) from None
        group = await repo.group_by_slug(conn, body.slug)
        assert group is not None
        return group


async def update_group(db: Database, group_id: uuid.UUID, body: GroupUpdate) -> Group:
    """Changes the given fields, all or none; the slug (the join link) never changes."""
    changes = body.model_dump(exclude_unset=True)
    for cleared in ("coordinator_name", "coordinator_email", "contact_email"):
        if cleared in changes and changes[cleared] is None:
            changes[cleared] = ""
    async with db.transaction() as conn:
        if not await repo.update_group(
            conn, group_id, GroupChanges(fields=frozenset(changes), **changes)
        ):
            raise not_found("Groupe", "Group")
        return await require_group(conn, group_id)


async def name_coordinator(db: Database, group_id: uuid.UUID, user_id: uuid.UUID) -> None:
    async with db.transaction() as conn:
        await require_group(conn, group_id)
        if not await repo.make_coordinator(conn, group_id, user_id):
            raise not_found("Membre du groupe", "Group member")
