"""Coordinator pages against the real services: access, reports, CSV, payments, logistics."""

import re

from tests.integration.web.conftest import Browser, Stack, log_in_coordinator, sign_up
from tests.integration.web.member_steps import (
    add_to_cart,
    distribution_id,
    join_group,
    open_distribution_path,
    order,
)


async def member_orders(browser: Browser, email: str) -> str:
    """Malik Saidi orders 0,5 kg of almonds; the distribution id."""
    await sign_up(browser, email, first_name="Malik", last_name="Saidi")
    return distribution_id(await order(browser))


async def test_member_cannot_open_coordinator_pages(browser: Browser):
    await sign_up(browser, "curious@example.org")
    page = await browser.get("/g/3-cocus/coord")
    assert page.status == 403
    assert "Coordination" not in page.text.split("<main")[0]
    assert (await browser.get("/g/3-cocus/coord/produits")).status == 403
    assert (await browser.get("/g/3-cocus/coord/d/not-a-uuid/commandes")).status in (403, 404)
    assert (await browser.get("/g/3-cocus/d/not-a-uuid")).status == 404
    assert (await browser.get("/g/..%2F..%2Fv1")).status == 404


async def test_reports_csv_and_payment(stack: Stack, browser: Browser):
    did = await member_orders(browser, "malik@example.org")
    coordinator = await stack.browser()
    try:
        await log_in_coordinator(coordinator)
        dashboard = await coordinator.get("/g/3-cocus/coord")
        assert dashboard.status == 200 and "Créer une distribution" in dashboard
        by_member = await coordinator.get(f"/g/3-cocus/coord/d/{did}/commandes")
        assert "SAIDI Malik" in by_member and "0.5 x Amandes avec peau - en vrac" in by_member
        assert "7,43 €" in by_member and "Non payé" in by_member
        by_product = await coordinator.get(f"/g/3-cocus/coord/d/{did}/produits")
        assert "Amandes avec peau - en vrac – 0.5 kg" in by_product
        purchase = await coordinator.get(f"/g/3-cocus/coord/d/{did}/bon-de-commande")
        assert "Amandes avec peau - en vrac" in purchase and "7,43 €" in purchase
        async with coordinator.session.get(
            f"{coordinator.base}/g/3-cocus/coord/d/{did}/export/bon-de-commande.csv"
        ) as resp:
            assert resp.status == 200
            assert resp.headers["Content-Type"].startswith("text/csv")
            assert "attachment" in resp.headers["Content-Disposition"]
            assert "Amandes avec peau" in await resp.text()
        async with coordinator.session.get(
            f"{coordinator.base}/g/3-cocus/coord/d/{did}/export/inconnu.csv"
        ) as resp:
            assert resp.status == 404
        sheet = await coordinator.get(f"/g/3-cocus/coord/d/{did}/feuille")
        assert "SAIDI Malik" in sheet and "Sans créneau" in sheet
        row = sheet.text.split("SAIDI Malik")[1]
        user_id = re.search(r'name="user_id" value="([0-9a-f-]+)"', row)
        assert user_id and 'value="7,43"' in row
        bad = await coordinator.post(
            f"/g/3-cocus/coord/d/{did}/paiements",
            {
                "user_id": user_id.group(1),
                "amount": "sept",
                "method": "cash",
                "idem": sheet.hidden("idem"),
            },
        )
        assert bad.status == 422 and "Indiquez le montant payé" in bad
        await coordinator.get(f"/g/3-cocus/coord/d/{did}/feuille")
        form = {
            "user_id": user_id.group(1),
            "amount": "7,43",
            "method": "cash",
            "idem": "0b7b0e4c-3f1a-4d7e-9a55-1c2f3a4b5c6d",
        }
        paid = await coordinator.post(f"/g/3-cocus/coord/d/{did}/paiements", form)
        again = await coordinator.post(
            f"/g/3-cocus/coord/d/{did}/paiements", form, csrf=paid.csrf()
        )
        assert "Paiement enregistré." in paid and again.status == 200
    finally:
        await coordinator.close()
    account = await browser.get("/g/3-cocus/compte")
    # The same Idempotency-Key twice: one payment, the balance is exactly 0.
    assert "Solde : 0,00 €" in account and "Payé" in account


async def test_catalog_product_create_and_validation(stack: Stack):
    coordinator = await stack.browser()
    try:
        await log_in_coordinator(coordinator)
        page = await coordinator.get("/g/3-cocus/coord/produits")
        assert "Batterie de cuisine" in page and "Rupture de stock" in page
        bad = await coordinator.post(
            "/g/3-cocus/coord/produits",
            {"name": "Savon noir", "category": "Autres", "unit_label": "1 L", "price": "deux"},
        )
        assert bad.status == 422 and "Indiquez un prix en euros" in bad
        assert 'value="Savon noir"' in bad.text
        page = await coordinator.post(
            "/g/3-cocus/coord/produits",
            {
                "name": "Savon noir",
                "category": "Autres",
                "unit_label": "1 L",
                "price": "4,10",
                "active": "on",
            },
        )
        assert "Enregistré." in page and "Savon noir" in page
    finally:
        await coordinator.close()


async def test_missing_contact_blocks_validation(browser: Browser):
    await sign_up(browser, "incomplete@example.org", complete=False, slug="bellefontaine")
    assert browser.page is not None and "Ce groupe demande" in browser.page
    await sign_up(browser, "incomplete@example.org", "Ines", "Roy", complete=False, slug=None)
    cards = await join_group(browser)
    path = open_distribution_path(cards)
    await add_to_cart(browser, path, "Lessive 1 L", "1")
    payment = await browser.get(f"{path}/paiement")
    assert "Avant de valider, complétez votre compte" in payment
    assert "Sélectionner" not in payment
    refused = await browser.post(
        f"{path}/paiement",
        {"payment_method": "on_site", "idem": "5f0c7d52-4f4e-4a51-9a35-0c5b0d3f8a11"},
    )
    assert refused.status == 409
    account = await browser.get("/g/3-cocus/compte")
    assert "Solde : 0,00 €" in account
