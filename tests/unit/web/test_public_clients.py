"""The web's typed clients (shared/clients: ordering, logistics, accounts' public API) read the
answers the services really give: each client model has the fields of the service's own response
model, an answer dumped by the service parses, and an answer of another shape is "service down"."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import BaseModel

from services.accounts import models as accounts_models
from services.logistics import models as logistics_models
from services.ordering import responses as ordering_responses
from services.web.apiclient import ServiceDown
from shared.clients import accounts, logistics, ordering
from tests.support.factories import wire

PAIRS: list[tuple[type[BaseModel], type[BaseModel]]] = [
    (ordering.MyOrderRef, ordering_responses.MyOrderRef),
    (ordering.Distribution, ordering_responses.Distribution),
    (ordering.Distributions, ordering_responses.Distributions),
    (ordering.OfferItem, ordering_responses.OfferItem),
    (ordering.OfferCategory, ordering_responses.OfferCategory),
    (ordering.Offer, ordering_responses.Offer),
    (ordering.OrderLine, ordering_responses.OrderLine),
    (ordering.CartLine, ordering_responses.CartLine),
    (ordering.Cart, ordering_responses.Cart),
    (ordering.Order, ordering_responses.Order),
    (ordering.Orders, ordering_responses.Orders),
    (ordering.LedgerEntry, ordering_responses.LedgerEntry),
    (ordering.Ledger, ordering_responses.Ledger),
    (ordering.Product, ordering_responses.Product),
    (ordering.Products, ordering_responses.Products),
    (ordering.ProductOrder, ordering_responses.ProductOrder),
    (ordering.ByProductLine, ordering_responses.ByProductLine),
    (ordering.ByProduct, ordering_responses.ByProduct),
    (ordering.PurchaseLine, ordering_responses.PurchaseLine),
    (ordering.PurchaseOrder, ordering_responses.PurchaseOrder),
    (ordering.GroupQuantity, ordering_responses.GroupQuantity),
    (ordering.AssociationPurchaseLine, ordering_responses.AssociationPurchaseLine),
    (ordering.AssociationPurchaseOrder, ordering_responses.AssociationPurchaseOrder),
    (ordering.SheetRow, ordering_responses.SheetRow),
    (ordering.Sheet, ordering_responses.Sheet),
    (ordering.CatalogCopied, ordering_responses.CatalogCopied),
    (logistics.Slot, logistics_models.SlotOut),
    (logistics.SlotsView, logistics_models.SlotsView),
    (logistics.Consent, logistics_models.ConsentOut),
    (logistics.RequestState, logistics_models.RequestState),
    (logistics.PickupView, logistics_models.PickupView),
    (logistics.RequestSummary, logistics_models.RequestSummary),
    (logistics.RequestList, logistics_models.RequestList),
    (logistics.RequestDetail, logistics_models.RequestDetail),
    (logistics.SlotAttendance, logistics_models.SlotAttendance),
    (logistics.Volunteer, logistics_models.VolunteerOut),
    (logistics.EndedPairing, logistics_models.EndedPairing),
    (logistics.CoordinationView, logistics_models.CoordinationView),
    (accounts.MemberRow, accounts_models.MemberRow),
    (accounts.MemberList, accounts_models.MemberList),
    (accounts.GroupList, accounts_models.GroupList),
]


@pytest.mark.parametrize(("ours", "theirs"), PAIRS, ids=lambda m: m.__name__)
def test_the_client_models_have_the_fields_of_the_answers(
    ours: type[BaseModel], theirs: type[BaseModel]
) -> None:
    """A field renamed, added or dropped on either side shows here."""
    assert set(ours.model_fields) == set(theirs.model_fields)
    for name, field in theirs.model_fields.items():
        assert ours.model_fields[name].alias == field.alias, name


def _distribution() -> ordering_responses.Distribution:
    starts = datetime(2026, 3, 6, 15, 0, tzinfo=UTC)
    return ordering_responses.Distribution(
        distribution_id=uuid.uuid4(),
        group_id=uuid.uuid4(),
        starts_at=starts,
        ends_at=starts + timedelta(hours=4),
        opens_at=starts - timedelta(days=7),
        closes_at=starts - timedelta(days=1),
        place_name="Salle",
        place_address="1 rue",
        state=ordering_responses.DistributionState.OPEN,
        my_order=None,
    )


class FakeApi:
    """The transport: answers one body per path, like the web's Api."""

    def __init__(self, bodies: dict[str, Any]) -> None:
        self.bodies = bodies
        self.calls: list[tuple[str, str, str, str | None]] = []

    async def call(self, service: str, method: str, path: str, **options: Any) -> Any:
        self.calls.append((service, method, path, options.get("token")))
        return self.bodies[path]

    def unusable(self, service: str, reason: str) -> Exception:
        return ServiceDown(service, reason)


async def test_an_offer_from_ordering_parses_and_finds_its_products() -> None:
    d = _distribution()
    item = ordering_responses.OfferItem(
        product_id=uuid.uuid4(),
        name="Riz",
        category="Céréales",
        unit_label="kg",
        bulk=True,
        price_cents=325,
        out_of_stock=False,
    )
    offer = ordering_responses.Offer(
        distribution=d, categories=[ordering_responses.OfferCategory(name="C", products=[item])]
    )
    path = f"/v1/groups/{d.group_id}/distributions/{d.distribution_id}/offer"
    api = FakeApi({path: wire(offer)})
    parsed = await ordering.OrderingClient(api, "tok").offer(d.group_id, d.distribution_id)
    assert api.calls == [("ordering", "GET", path, "tok")]
    assert parsed.distribution.starts_at == d.starts_at
    found = parsed.product(str(item.product_id))
    assert found is not None and found.bulk and found.price_cents == 325
    assert parsed.product(str(uuid.uuid4())) is None


async def test_the_page_data_of_an_answer_is_its_json() -> None:
    """Templates get the answer as the service sent it: ids and quantities as text."""
    from services.web.views.common import page_data

    d = _distribution()
    parsed = ordering.Distribution.model_validate(wire(d))
    data = page_data(parsed)
    assert data["distribution_id"] == str(d.distribution_id)
    assert datetime.fromisoformat(data["starts_at"]) == d.starts_at
    assert data["state"] == "open" and data["my_order"] is None


async def test_an_association_purchase_order_reads_its_from_field() -> None:
    answer = ordering_responses.AssociationPurchaseOrder.model_validate(
        {"from": "2026-03-01", "to": "2026-03-31", "lines": [], "total_cents": 0}
    )
    api = FakeApi({"/v1/purchase-order": wire(answer)})
    parsed = await ordering.OrderingClient(api, "tok").association_purchase_order(
        answer.from_, answer.to
    )
    assert parsed.from_ == answer.from_ and parsed.total_cents == 0


async def test_an_answer_of_another_shape_is_the_service_down() -> None:
    group_id, did = uuid.uuid4(), uuid.uuid4()
    path = f"/v1/groups/{group_id}/distributions/{did}/slots"
    api = FakeApi({path: {"slots": [{"slot_id": "not-an-id"}]}})
    with pytest.raises(ServiceDown) as caught:
        await logistics.PublicLogisticsClient(api, "tok").slots(group_id, did)
    assert caught.value.service == "logistics"


async def test_the_groups_list_goes_without_a_token() -> None:
    api = FakeApi({"/v1/groups": {"groups": []}})
    assert await accounts.PublicAccountsClient(api).groups() == []
    assert api.calls == [("accounts", "GET", "/v1/groups", None)]
