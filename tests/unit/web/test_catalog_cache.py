"""The order page's product list kept per offer (services/web/catalog): the kept list, filled in
with a member's values, is exactly what a whole render gives; any change of what ordering shows
(price, stock, name, state) is another key; the member's values are escaped."""

import uuid
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from services.web import i18n
from services.web.catalog import CATALOG_CACHE, CatalogCache, _key, _render, catalog_html
from services.web.rendering import setup_jinja
from shared.clients.ordering import Offer

GROUP, DISTRIBUTION = uuid.uuid4(), uuid.uuid4()
PRODUCTS = [uuid.uuid4() for _ in range(4)]
NAMES = ["Amandes <avec> peau", "Lessive 1 L", "Café & thé", "Savon"]


def an_offer(**change: Any) -> Offer:
    products = [
        {
            "product_id": str(pid),
            "name": NAMES[i],
            "category": "Épicerie",
            "unit_label": "1 kg",
            "bulk": i % 2 == 0,
            "price_cents": 1234 + i,
            "out_of_stock": i == 3,
        }
        for i, pid in enumerate(PRODUCTS)
    ]
    products[1].update(change.pop("product", {}))
    distribution = {
        "distribution_id": str(DISTRIBUTION),
        "group_id": str(GROUP),
        "starts_at": "2026-12-10T16:00:00Z",
        "ends_at": "2026-12-10T18:00:00Z",
        "opens_at": "2026-12-01T16:00:00Z",
        "closes_at": "2026-12-09T22:59:00Z",
        "place_name": "Salle des fêtes",
        "place_address": "3 rue des Lilas",
        "state": "open",
        "my_order": None,
        **change,
    }
    return Offer.model_validate(
        {"distribution": distribution, "categories": [{"name": "Épicerie", "products": products}]}
    )


@pytest.fixture
def request_() -> web.Request:
    app = web.Application()
    app[CATALOG_CACHE] = CatalogCache()
    setup_jinja(app)
    i18n.set_language("fr")
    return make_mocked_request("GET", "/g/3-cocus/d/x", app=app)


def member(csrf: str = 'tok&<"en', added: str = "") -> dict[str, Any]:
    return {
        "csrf_token": csrf,
        "idem": "idem-1",
        "in_cart": {str(PRODUCTS[0]): "0.500"},
        "added": added,
        "errors": {},
        "typed": {},
    }


def test_the_kept_list_filled_in_is_the_whole_render(request_: web.Request):
    offer = an_offer()
    for csrf, added in (("first", ""), ('tok&<"en', ""), ("x", str(PRODUCTS[1]))):
        whole = _render(request_, offer, "3-cocus", member(csrf, added))
        assert catalog_html(request_, offer, "3-cocus", member(csrf, added)) == whole
        assert catalog_html(request_, offer, "3-cocus", member(csrf, added)) == whole
    cache = request_.app[CATALOG_CACHE]
    assert (cache.rendered, cache.served) == (2, 4)  # one list per product just added
    escaped = catalog_html(request_, offer, "3-cocus", member())
    assert 'name="csrf_token" value="tok&amp;&lt;&#34;en"' in escaped
    assert 'name="base" value="0.500"' in escaped and "\x00" not in escaped


def test_refusals_are_rendered_whole_and_not_kept(request_: web.Request):
    offer = an_offer()
    refused = {**member(), "errors": {f"q-{PRODUCTS[1]}": "Quantité invalide"}, "typed": {}}
    refused["typed"] = {str(PRODUCTS[1]): "abc"}
    page = catalog_html(request_, offer, "3-cocus", refused)
    assert 'value="abc"' in page and "Quantité invalide" in page
    assert request_.app[CATALOG_CACHE].rendered == 0


@pytest.mark.parametrize(
    "change",
    [
        {"product": {"price_cents": 999}},
        {"product": {"out_of_stock": True}},
        {"product": {"name": "Lessive 2 L"}},
        {"state": "closed"},
        {"place_name": "Ailleurs"},
    ],
)
def test_anything_ordering_shows_is_in_the_key(request_: web.Request, change: dict[str, Any]):
    assert _key(an_offer(**change), "3-cocus", "") != _key(an_offer(), "3-cocus", "")


def test_language_group_and_added_product_are_in_the_key(request_: web.Request):
    offer = an_offer()
    french = _key(offer, "3-cocus", "")
    assert _key(offer, "3-cocus", "") == french
    assert _key(offer, "bellefontaine", "") != french
    assert _key(offer, "3-cocus", str(PRODUCTS[1])) != french
    i18n.set_language("de")
    try:
        assert _key(offer, "3-cocus", "") != french
    finally:
        i18n.set_language("fr")
