"""Erasing one's account: the person, their memberships, sessions and events about them."""

import uuid

from services.accounts import throttle
from services.accounts.events import publish
from services.accounts.people import load_user, session_ended
from services.accounts.repository import groups, users
from services.accounts.security import verify_password
from services.accounts.settings import AccountsSettings
from shared.contracts.accounts import UserErasedV1
from shared.db import Database
from shared.problems import Problem
from shared.retention import forget_user


async def erase(
    db: Database, settings: AccountsSettings, user_id: uuid.UUID, password: str
) -> None:
    async with db.transaction() as conn:
        user = await load_user(conn, user_id)
    if not await verify_password(user.password_hash, password):
        raise Problem(403, "wrong-password", "Mot de passe incorrect.", "Wrong password.")
    async with db.transaction() as conn:
        group_ids = [uuid.UUID(g) for g in await groups.roles_of(conn, user_id)]
        await throttle.clear_account(conn, settings, user.email)
        if not await users.delete_user(conn, user_id):
            raise session_ended()
        await publish(conn, UserErasedV1(user_id=user_id, group_ids=group_ids))
        # The past events about the person go now; this erasure event (and any other not yet
        # published) is published first, then deleted by the relay.
        await forget_user(conn, user_id)
