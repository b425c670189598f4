"""A person's own account: what they see of it and what they change."""

import uuid

import asyncpg

from services.accounts.domain import email_key
from services.accounts.events import publish
from services.accounts.models import Contact, Me, Membership, ProfileUpdate
from services.accounts.people import (
    contact_of,
    details_of,
    load_user,
    lock_account,
    missing_for,
)
from services.accounts.repository import groups, users
from services.accounts.repository.users import User
from shared.contracts.accounts import MemberUpdatedV1
from shared.db import Connection, Database
from shared.problems import Problem, not_found


async def _me(conn: Connection, user: User) -> Me:
    return Me(
        **details_of(user).model_dump(),
        id=user.id,
        admin=user.is_admin,
        memberships=[
            Membership(group=m.group, role=m.role, missing=missing_for(user, m.group))
            for m in await groups.memberships_of(conn, user.id)
        ],
    )


async def me(db: Database, user_id: uuid.UUID) -> Me:
    async with db.connection() as conn:
        return await _me(conn, await load_user(conn, user_id))


async def update_profile(db: Database, user_id: uuid.UUID, body: ProfileUpdate) -> Me:
    new_email_key = email_key(body.email) if body.email is not None else None
    async with db.transaction() as conn:
        await lock_account(conn, user_id)
        try:
            await users.update_profile(conn, user_id, body, new_email_key)
        except asyncpg.UniqueViolationError:
            raise Problem(
                409,
                "email-taken",
                "Cette adresse email est déjà utilisée.",
                "This email address is already in use.",
            ) from None
        user = await load_user(conn, user_id)
        group_ids = [uuid.UUID(g) for g in await groups.roles_of(conn, user_id)]
        await publish(
            conn,
            MemberUpdatedV1(
                user_id=user_id,
                group_ids=group_ids,
                changed_fields=sorted(body.model_fields_set),
                first_name=user.first_name,
                postcode=user.postcode,
                language=user.language,
            ),
        )
        return await _me(conn, user)


async def contact(db: Database, user_id: uuid.UUID) -> Contact:
    """A person's contact details, at the moment a service needs them."""
    async with db.connection() as conn:
        user = await users.user_by_id(conn, user_id)
    if user is None:
        raise not_found("Personne", "Person")
    return contact_of(user)
