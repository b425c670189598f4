"""Joining and leaving a group; each change publishes its event in the same transaction."""

import uuid

from services.accounts.events import publish
from services.accounts.groups import require_group, require_role
from services.accounts.models import Group, Membership
from services.accounts.people import load_user, missing_for
from services.accounts.repository import groups
from services.accounts.repository.users import User
from shared.auth import Principal, Role
from shared.contracts.accounts import MemberJoinedV1, MemberLeftV1
from shared.db import Connection, Database
from shared.problems import not_found


async def add_membership(conn: Connection, user: User, group: Group, role: Role = "member") -> bool:
    """Adds the membership and its `member.joined` event; False when already a member."""
    added = await groups.add_member(conn, user.id, group.id, role)
    if added:
        await publish(
            conn,
            MemberJoinedV1(
                user_id=user.id,
                group_id=group.id,
                group_slug=group.slug,
                role=role,
                first_name=user.first_name,
                postcode=user.postcode,
                language=user.language,
            ),
        )
    return added


async def join_group(
    db: Database, user_id: uuid.UUID, group_id: uuid.UUID
) -> tuple[Membership, bool]:
    """The membership, and whether it was created now (False: already a member)."""
    async with db.transaction() as conn:
        group = await require_group(conn, group_id)
        user = await load_user(conn, user_id)
        created = await add_membership(conn, user, group)
        role = await groups.role_in(conn, user_id, group_id)
        assert role is not None  # a member, in this very transaction
        return Membership(group=group, role=role, missing=missing_for(user, group)), created


async def leave_group(db: Database, caller: Principal, group_id: uuid.UUID) -> None:
    async with db.connection() as conn:
        await require_role(conn, caller, group_id)
    user_id = caller.user_id
    async with db.transaction() as conn:
        if not await groups.remove_member(conn, user_id, group_id):
            raise not_found("Adhésion", "Membership")
        await publish(conn, MemberLeftV1(user_id=user_id, group_id=group_id))
