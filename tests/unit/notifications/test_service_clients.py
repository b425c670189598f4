"""The typed clients' models (shared/clients) read the answers accounts and logistics really
give: built here with the services' own response models, dumped to JSON as their API does."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import BaseModel

from services.accounts import models as accounts_models
from services.logistics import models as logistics_models
from shared.clients import Unavailable
from shared.clients.accounts import Group, GroupMembers, PersonContact, ResetDelivery
from shared.clients.base import parse
from shared.clients.logistics import Booking
from tests.support.factories import contact_fields, wire


def test_a_contact_answer_parses_into_person_contact() -> None:
    user_id = uuid.uuid4()
    answer = accounts_models.Contact(**contact_fields(user_id=user_id, city=None, language="de"))
    contact = parse(PersonContact, wire(answer), "contact")
    assert contact.user_id == user_id
    assert contact.full_name == "Sarah VARDA"
    assert contact.address_lines == ["4 rue des Lilas", "31500"]
    assert contact.language == "de" and contact.city is None


def test_group_members_and_reset_answers_parse() -> None:
    group_id, user_id = uuid.uuid4(), uuid.uuid4()
    group = accounts_models.Group(
        id=group_id,
        slug="3-cocus",
        name="3 Cocus",
        city="Toulouse",
        coordinator_name="Claire",
        coordinator_email="claire@example.org",
        contact_email="",
        phone_required=True,
        address_required=False,
        join_path="/g/3-cocus",
    )
    parsed = parse(Group, wire(group), "group")
    assert (parsed.id, parsed.name, parsed.join_path) == (group_id, "3 Cocus", "/g/3-cocus")

    members = accounts_models.InternalMemberList(
        members=[
            accounts_models.InternalMember(
                user_id=user_id, role="coordinator", language="en", first_name="Claire"
            )
        ]
    )
    [member] = parse(GroupMembers, wire(members), "members").members
    assert (member.user_id, member.role, member.language) == (user_id, "coordinator", "en")

    reset = accounts_models.ResetDelivery(
        reset_id=uuid.uuid4(),
        user_id=user_id,
        token="tok-123_abc",
        language="fr",
        expires_at=datetime.now(UTC) + timedelta(hours=1),
    )
    assert parse(ResetDelivery, wire(reset), "reset").token == "tok-123_abc"


def test_a_booking_answer_parses() -> None:
    starts = datetime(2026, 3, 6, 15, 45, tzinfo=UTC)
    answer = logistics_models.BookingOut(
        slot_id=uuid.uuid4(),
        distribution_id=uuid.uuid4(),
        group_id=uuid.uuid4(),
        user_id=uuid.uuid4(),
        starts_at=starts,
        ends_at=starts + timedelta(minutes=15),
    )
    booking = parse(Booking, wire(answer), "booking")
    assert booking.starts_at == starts and booking.ends_at == starts + timedelta(minutes=15)


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (PersonContact, accounts_models.Contact),
        (Group, accounts_models.Group),
        (GroupMembers, accounts_models.InternalMemberList),
        (ResetDelivery, accounts_models.ResetDelivery),
        (Booking, logistics_models.BookingOut),
    ],
)
def test_the_client_models_have_the_fields_of_the_answers(
    ours: type[BaseModel], theirs: type[BaseModel]
) -> None:
    """A field renamed on either side shows here (and in mypy where the client's field is used)."""
    assert set(ours.model_fields) == set(theirs.model_fields)


def test_an_answer_of_another_shape_is_unavailable_not_a_crash() -> None:
    renamed = {"user_id": str(uuid.uuid4()), "firstname": "Sarah"}
    with pytest.raises(Unavailable):
        parse(PersonContact, renamed, "contact")
