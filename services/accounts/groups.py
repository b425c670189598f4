"""Groups: finding them, who may see them, and what the association's admins change."""

import re
import uuid
from dataclasses import asdict

import asyncpg

from services.accounts.domain import display_name, join_path
from services.accounts.models import (
    SLUG_PATTERN,
    Group,
    GroupCreate,
    GroupList,
    GroupUpdate,
    InternalMemberList,
    MemberList,
    MemberRow,
)
from services.accounts.people import missing_for
from services.accounts.repository import groups as repo
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
                # The row's address fields only tell what is missing: MemberRow leaves them out.
                **asdict(member),
                display_name=display_name(member.first_name, member.last_name),
                missing=missing_for(member, group),
            )
            for member in found
        ]
    )


async def group_for_services(db: Database, group_id: uuid.UUID) -> Group:
    async with db.connection() as conn:
        return await require_group(conn, group_id)


async def members_for_services(db: Database, group_id: uuid.UUID) -> InternalMemberList:
    async with db.connection() as conn:
        await require_group(conn, group_id)
        return InternalMemberList(members=await repo.members_for_services(conn, group_id))


async def create_group(db: Database, body: GroupCreate) -> Group:
    group = Group(
        **body.model_dump(exclude={"coordinator_email", "contact_email"}),
        coordinator_email=body.coordinator_email or "",
        contact_email=body.contact_email or "",
        id=uuid.uuid4(),
        join_path=join_path(body.slug),
    )
    async with db.transaction() as conn:
        try:
            await repo.insert_group(conn, group)
        except asyncpg.UniqueViolationError:
            raise Problem(
                409,
                "slug-taken",
                "Ce lien de groupe existe déjà.",
                "This group link already exists.",
            ) from None
        return await require_group(conn, group.id)


async def update_group(db: Database, group_id: uuid.UUID, body: GroupUpdate) -> Group:
    """Changes the given fields, all or none; the slug (the join link) never changes."""
    # `null` clears the coordinator's name and the two emails: they are stored as "".
    cleared: dict[str, str] = {
        name: ""
        for name in ("coordinator_name", "coordinator_email", "contact_email")
        if name in body.model_fields_set and getattr(body, name) is None
    }
    async with db.transaction() as conn:
        if not await repo.update_group(conn, group_id, body.model_copy(update=cleared)):
            raise not_found("Groupe", "Group")
        return await require_group(conn, group_id)


async def name_coordinator(db: Database, group_id: uuid.UUID, user_id: uuid.UUID) -> None:
    async with db.transaction() as conn:
        await require_group(conn, group_id)
        if not await repo.make_coordinator(conn, group_id, user_id):
            raise not_found("Membre du groupe", "Group member")
