"""The order page's products (`_catalog.html`), rendered once per offer and kept (issue 13).

The product list is most of the order page and the same for every member of the group: names,
prices and out-of-stock flags as ordering's offer has them. It is kept under a digest of the whole
offer (distribution, its state, every product, price and stock flag, as answered on this request),
the group's link, the language and the product just added: any change ordering shows gives
another key, so a kept list never shows an old price or stock. What is the member's own (the
CSRF token, the quantity already in their cart, the page's idempotency key) is rendered as marks
and filled in per request. A page showing refusals next to the products (typed quantities,
errors) is rendered whole, as before.
"""

import hashlib
import re
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from markupsafe import Markup, escape

from shared.clients.ordering import Offer

from . import i18n
from .csrf import FIELD as CSRF_FIELD

TEMPLATE = "_catalog.html"
# Marks of the member's values. NUL never occurs in a page: the web refuses it in any form and
# PostgreSQL text cannot hold it, so no product name or price can contain a mark.
CSRF_MARK = "\x00csrf\x00"
IDEM_MARK = "\x00idem\x00"
_BASE_MARK = re.compile("\x00base:([^\x00]*)\x00")


class _BaseMarks:
    """Stands for the member's cart quantities (`in_cart.get(product_id, '0')`) while the
    shared list is rendered."""

    def get(self, product_id: str, default: str) -> str:
        return f"\x00base:{product_id}\x00"


class CatalogCache:
    """The last `size` product lists rendered (least recently used dropped first)."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._lists: OrderedDict[bytes, str] = OrderedDict()
        self.rendered = 0
        self.served = 0

    def get(self, key: bytes) -> str | None:
        found = self._lists.get(key)
        if found is not None:
            self._lists.move_to_end(key)
            self.served += 1
        return found

    def put(self, key: bytes, rendered: str) -> None:
        self.rendered += 1
        self._lists[key] = rendered
        while len(self._lists) > self.size:
            self._lists.popitem(last=False)


CATALOG_CACHE = web.AppKey("catalog_cache", CatalogCache)


def catalog_html(
    request: web.Request,
    offer: Offer,
    slug: str,
    member: Mapping[str, Any],
) -> Markup:
    """The products of the order page. `member`: csrf_token, idem, in_cart (product id → the
    quantity in the cart), added (a product id or ""), errors and typed (field → text)."""
    if member["errors"] or member["typed"]:
        return Markup(_render(request, offer, slug, member))  # noqa: S704 (rendered, escaped)
    cache = request.app[CATALOG_CACHE]
    key = _key(offer, slug, str(member["added"]))
    shared = cache.get(key)
    if shared is None:
        marks = {**member, "csrf_token": CSRF_MARK, "idem": IDEM_MARK, "in_cart": _BaseMarks()}
        shared = _render(request, offer, slug, marks)
        cache.put(key, shared)
    return Markup(_fill(shared, member))  # noqa: S704 (the kept list, its marks escaped values)


def _key(offer: Offer, slug: str, added: str) -> bytes:
    digest = hashlib.blake2b(offer.model_dump_json().encode(), digest_size=20)
    for part in (slug, i18n.current_language(), added):
        digest.update(b"\x00" + part.encode())
    return digest.digest()


def _render(request: web.Request, offer: Offer, slug: str, member: Mapping[str, Any]) -> str:
    distribution = offer.distribution.model_dump(mode="json")
    context = {
        **member,
        "categories": [category.model_dump(mode="json") for category in offer.categories],
        "distribution": distribution,
        "editable": distribution["state"] == "open",
        "g": {"slug": slug},
        "csrf_field": CSRF_FIELD,
    }
    template = aiohttp_jinja2.get_env(request.app).get_template(TEMPLATE)
    return template.render(context)


def _fill(shared: str, member: Mapping[str, Any]) -> str:
    in_cart: Mapping[str, str] = member["in_cart"]
    text = shared.replace(CSRF_MARK, escape(member["csrf_token"]))
    text = text.replace(IDEM_MARK, escape(member["idem"]))
    return _BASE_MARK.sub(lambda found: escape(in_cart.get(found.group(1), "0")), text)
