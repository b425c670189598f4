"""A member's steps through the pages, one definition each for the web tests and the tests that
cross every service (erasure, personal data export): join a group, find the open distribution,
fill the cart as the page's own form does, validate with payment on site, ask to be delivered."""

import html
import re
from collections.abc import Sequence

from tests.integration.web.conftest import Browser, Page

# The order most tests need: 0,5 kg of a bulk product (7,43 €) on the open distribution.
ALMONDS = ("Amandes avec peau", "0,5")


def open_distribution_path(page: Page) -> str:
    """The « Commander » link of the green card."""
    found = re.search(
        r'<section class="card open".*?href="(/g/[^"]+/d/[0-9a-f-]+)"', page.text, flags=re.S
    )
    assert found, page.visible_text()[:800]
    return found.group(1)


def distribution_id(path: str) -> str:
    """The distribution id at the end of an ordering page's path."""
    return path.rsplit("/", 1)[1]


def product_id(page: Page, name: str) -> str:
    """The product id of the ordering page's product with this name."""
    pattern = (
        r'<li class="product[^"]*" id="p-([0-9a-f-]+)">\s*<p class="pname">'
        + re.escape(html.escape(name, quote=False))
        + r"(?: - en vrac)?</p>"
    )
    found = re.search(pattern, page.text)
    assert found, f"no product {name}"
    return found.group(1)


async def join_group(browser: Browser, slug: str = "3-cocus") -> Page:
    """« Rejoindre ce groupe » on the group's join page; the page it leads to."""
    await browser.get(f"/g/{slug}")
    return await browser.post(f"/g/{slug}/rejoindre", {})


async def distribution_path(browser: Browser, slug: str = "3-cocus") -> str:
    """The ordering page of the group's open distribution, from « Mes commandes »."""
    return open_distribution_path(await browser.get(f"/g/{slug}/commandes"))


async def add_to_cart(browser: Browser, path: str, name: str, quantity: str) -> Page:
    """« Commander » on the product's own form: the quantity already in the cart (`base`) and
    the form's Idempotency-Key, as the page sends them."""
    page = await browser.get(path)
    pid = product_id(page, name)
    form = re.search(
        rf'name="product_id" value="{pid}">\s*<input type="hidden" name="base" value="([^"]*)">'
        rf'\s*<input type="hidden" name="idem" value="([^"]*)">',
        page.text,
    )
    assert form, f"no cart form for {name}"
    return await browser.post(
        f"{path}/panier",
        {"product_id": pid, "base": form.group(1), "idem": form.group(2), "quantity": quantity},
    )


async def pay_on_site(browser: Browser, path: str) -> Page:
    """Validate the cart with « Paiement sur place »."""
    payment = await browser.get(f"{path}/paiement")
    done = await browser.post(
        f"{path}/paiement", {"payment_method": "on_site", "idem": payment.hidden("idem")}
    )
    assert "Votre commande est bien enregistrée" in done, done.visible_text()[:800]
    return done


async def order(
    browser: Browser, items: Sequence[tuple[str, str]] = (ALMONDS,), slug: str = "3-cocus"
) -> str:
    """Order these (product, quantity) on the group's open distribution and pay on site; the
    distribution's ordering path."""
    path = await distribution_path(browser, slug)
    for name, quantity in items:
        await add_to_cart(browser, path, name, quantity)
    await pay_on_site(browser, path)
    return path


async def ask_for_delivery(
    browser: Browser,
    path: str,
    phone: str = "0611111111",
    street: str = "3 rue des Lilas",
    consents: Sequence[str] = ("address", "phone"),
) -> Page:
    """« Besoin d'être livré » in Toulouse, sharing what `consents` names."""
    await browser.get(f"{path}/besoin-livraison")
    page = await browser.post(
        f"{path}/besoin-livraison",
        [
            ("phone", phone),
            ("street", street),
            ("postcode", "31200"),
            ("city", "Toulouse"),
            *(("consent", consent) for consent in consents),
        ],
    )
    assert "Votre choix est enregistré." in page, page.visible_text()[:500]
    return page
