"""What several use cases need about a person: the account as it is now, what a group still
needs from them, the details shown to them and to services."""

import uuid

from services.accounts.domain import display_name, missing_fields
from services.accounts.models import Contact, Group, PersonDetails
from services.accounts.repository import users
from services.accounts.repository.groups import GroupMember
from services.accounts.repository.users import User
from shared.db import Connection
from shared.problems import Problem


def session_ended() -> Problem:
    return Problem(
        401,
        "session-ended",
        "Votre session est terminée, reconnectez-vous.",
        "Your session has ended, please log in again.",
    )


async def load_user(conn: Connection, user_id: uuid.UUID) -> User:
    """The caller's account; gone (erased) means their session is over."""
    user = await users.user_by_id(conn, user_id)
    if user is None:
        raise session_ended()
    return user


async def lock_account(conn: Connection, user_id: uuid.UUID) -> None:
    """The caller's account locked until the transaction ends; gone means their session is
    over."""
    if not await users.lock_user(conn, user_id):
        raise session_ended()


def missing_for(person: User | GroupMember, group: Group) -> list[str]:
    """What the group requires that the person has not given (phone, address)."""
    return missing_fields(
        group.phone_required,
        group.address_required,
        person.phone,
        {"street": person.street, "postcode": person.postcode, "city": person.city},
    )


def details_of(user: User) -> PersonDetails:
    """A person's details, as they see them (`/v1/me`) and as services look them up."""
    return PersonDetails(
        first_name=user.first_name,
        last_name=user.last_name,
        display_name=display_name(user.first_name, user.last_name),
        email=user.email,
        phone=user.phone,
        street=user.street,
        postcode=user.postcode,
        city=user.city,
        language=user.language,
    )


def contact_of(user: User) -> Contact:
    """A person's details, as the services' contact look-up shows them."""
    return Contact(**details_of(user).model_dump(), user_id=user.id)
