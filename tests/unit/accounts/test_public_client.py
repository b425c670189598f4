"""The web's typed calls of `GET /v1/me` and `GET /v1/groups/by-slug/{slug}` read the answers
accounts really gives: the client's models (shared/clients/accounts.py) have the fields of the
response models accounts declares (its subclasses), and an answer accounts dumps parses."""

import uuid

import pytest
from pydantic import BaseModel

from services.accounts import models
from services.accounts.seed import demo_group
from services.web.apiclient import ServiceDown
from shared.clients import accounts
from shared.demo import DEMO_GROUPS
from tests.support.factories import wire
from tests.unit.web.test_public_clients import FakeApi

COCUS = demo_group(DEMO_GROUPS[0])


@pytest.mark.parametrize("name", ["Me", "Membership", "Group", "PersonDetails"])
def test_accounts_answers_with_the_client_models(name: str) -> None:
    """Accounts' response models are the client's, under their own schema names."""
    ours: type[BaseModel] = getattr(accounts, name)
    theirs: type[BaseModel] = getattr(models, name)
    assert issubclass(theirs, ours)
    assert list(ours.model_fields) == list(theirs.model_fields)


async def test_me_reads_the_member_and_their_groups_with_their_token() -> None:
    me = models.Me(
        id=uuid.uuid4(),
        admin=False,
        first_name="Ada",
        last_name="Lovelace",
        display_name="LOVELACE Ada",
        email="ada@example.org",
        phone=None,
        street=None,
        postcode="31000",
        city=None,
        language="fr",
        memberships=[models.Membership(group=COCUS, role="coordinator", missing=["phone"])],
    )
    api = FakeApi({"/v1/me": wire(me)})
    read = await accounts.PublicAccountsClient(api, "tok").me()
    assert api.calls == [("accounts", "GET", "/v1/me", "tok")]
    assert read.id == me.id and read.full_name == "Ada Lovelace"
    [membership] = read.memberships
    assert membership.group.slug == "3-cocus" and membership.group.join_path == "/g/3-cocus"
    assert membership.role == "coordinator" and membership.missing == ["phone"]


async def test_a_group_by_its_join_link_goes_without_a_token() -> None:
    api = FakeApi({"/v1/groups/by-slug/3-cocus": wire(COCUS)})
    read = await accounts.PublicAccountsClient(api).group_by_slug("3-cocus")
    assert api.calls == [("accounts", "GET", "/v1/groups/by-slug/3-cocus", None)]
    assert read.model_dump() == COCUS.model_dump()


async def test_a_me_of_another_shape_is_accounts_down() -> None:
    api = FakeApi({"/v1/me": {"id": "not-an-id", "memberships": []}})
    with pytest.raises(ServiceDown) as caught:
        await accounts.PublicAccountsClient(api, "tok").me()
    assert caught.value.service == "accounts"
