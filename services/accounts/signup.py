"""Signing up: the same answer for a new or a known e-mail (no enumeration)."""

import uuid

from services.accounts.domain import email_key
from services.accounts.groups import require_group
from services.accounts.memberships import add_membership
from services.accounts.models import SignUp
from services.accounts.people import load_user
from services.accounts.repository import users
from services.accounts.repository.users import NewUser
from services.accounts.security import hash_password
from shared.db import Database


async def sign_up(db: Database, body: SignUp) -> None:
    """Creates the account if the email is new; answers the same either way."""
    password_hash = await hash_password(body.password)
    async with db.transaction() as conn:
        group = await require_group(conn, body.group_id) if body.group_id else None
        user_id = uuid.uuid4()
        created = await users.insert_user(
            conn,
            NewUser(
                **body.model_dump(exclude={"password", "group_id"}),
                id=user_id,
                email_key=email_key(body.email),
                password_hash=password_hash,
            ),
        )
        if created and group is not None:
            await add_membership(conn, await load_user(conn, user_id), group)
