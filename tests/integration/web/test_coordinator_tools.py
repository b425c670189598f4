"""Coordinator tools against the real services, driven like a browser: copy the catalog to another
group, correct a member's order (total and balance follow), the association's purchase order."""

import asyncio
import re
import uuid
from datetime import date, datetime, timedelta

import aiohttp

from services.web.formatting import PARIS
from shared.demo import DEMO_ADMIN_EMAIL, DEMO_GROUPS, DEMO_PASSWORD
from tests.integration.web.account_steps import log_in_admin
from tests.integration.web.conftest import (
    Browser,
    Page,
    Stack,
    log_in_coordinator,
    sign_up,
)
from tests.integration.web.member_steps import distribution_id, join_group, order, product_id
from tests.support.fault_stack import log_in as api_log_in

COCUS, BELLEFONTAINE = DEMO_GROUPS[0], DEMO_GROUPS[1]


async def save_product_row(
    coordinator: Browser, slug: str, name: str, fields: dict[str, str]
) -> Page:
    """The coordinator's « Produits » page: save the row of this product (price, stock,
    active) with these values."""
    products = await coordinator.get(f"/g/{slug}/coord/produits")
    row = re.search(
        rf'<tr id="p-([0-9a-f-]+)">\s*<td>[^<]*</td><td>{re.escape(name)}<', products.text
    )
    assert row, f"no row for {name}"
    return await coordinator.post(f"/g/{slug}/coord/produits/{row.group(1)}", fields)


def cents(text: str) -> int:
    """« -11,93 € » → -1193."""
    found = re.fullmatch(r"(-?)([0-9][0-9  .]*),([0-9]{2}) €", text.strip())
    assert found, text
    units = int(re.sub(r"[^0-9]", "", found.group(2)))
    value = units * 100 + int(found.group(3))
    return -value if found.group(1) else value


async def balance(browser: Browser, slug: str = "3-cocus") -> int:
    page = await browser.get(f"/g/{slug}/compte")
    found = re.search(r"Solde : (-?[0-9  .]+,[0-9]{2} €)", page.visible_text())
    assert found, page.visible_text()[:800]
    return cents(found.group(1))


async def order_with_ids(
    browser: Browser, items: list[tuple[str, str]]
) -> tuple[str, dict[str, str]]:
    """Order these (product, quantity) in 3 Cocus and validate; the distribution id and the
    product ids."""
    path = await order(browser, items)
    page = await browser.get(path)
    return distribution_id(path), {name: product_id(page, name) for name, _ in items}


async def name_coordinator(stack: Stack, group_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """The association admin names a member coordinator (accounts' API, as the admin page does)."""
    base = stack.url(stack.accounts)
    admin = await api_log_in(base, DEMO_ADMIN_EMAIL, DEMO_PASSWORD)
    async with (
        aiohttp.ClientSession() as http,
        http.put(
            f"{base}/v1/groups/{group_id}/coordinators/{user_id}", headers=admin.headers
        ) as resp,
    ):
        assert resp.status == 204, await resp.text()


def catalog_rows(page: Page, name: str) -> list[str]:
    """The price shown in each catalog row of the product with this name."""
    rows = re.findall(r'<tr id="p-[0-9a-f-]+">(.*?)</tr>', page.text, flags=re.S)
    found = []
    for row in rows:
        if re.search(rf"<td>{re.escape(name)}(?: - en vrac)?(?: <span|</td>)", row):
            price = re.search(r'name="price" class="qty" value="([^"]+)"', row)
            assert price
            found.append(price.group(1))
    return found


async def add_product(browser: Browser, slug: str, name: str, price: str) -> None:
    await browser.get(f"/g/{slug}/coord/produits")
    page = await browser.post(
        f"/g/{slug}/coord/produits",
        {"name": name, "category": "Autres", "unit_label": "1 L", "price": price, "active": "on"},
    )
    assert "Enregistré." in page


async def test_copy_catalog_into_another_group_the_coordinator_runs(stack: Stack):
    coordinator = await stack.browser()
    other = await stack.browser()
    try:
        await log_in_coordinator(coordinator)
        await add_product(coordinator, "3-cocus", "Savon noir", "4,10")
        # A product both groups have, with a new price here: the copy must leave the target's.
        await save_product_row(
            coordinator, "3-cocus", "Lessive 1 L", {"price": "9,99", "stock": "", "active": "on"}
        )
        assert "Copier le catalogue vers un autre groupe" in await coordinator.get(
            "/g/3-cocus/coord/produits"
        )
        await join_group(coordinator, "bellefontaine")
        await name_coordinator(stack, BELLEFONTAINE.id, COCUS.coordinator_id)

        form = await coordinator.get("/g/3-cocus/coord/catalogue/copier")
        assert form.status == 200 and "Bellefontaine" in form
        assert "n'est pas copié : le produit déjà présent reste tel quel" in form
        preview = await coordinator.get(
            f"/g/3-cocus/coord/catalogue/copier?vers={BELLEFONTAINE.id}"
        )
        assert "Produits qui seront ajoutés : 1" in preview and "Savon noir" in preview
        assert "Déjà présents, laissés tels quels" in preview
        assert preview.headers["Cache-Control"] == "no-store"
        # Impatient clicks: the same form sent several times at once copies the product once.
        token = preview.csrf()
        data = {"target_group_id": str(BELLEFONTAINE.id)}
        results = [
            page.visible_text()
            for page in await asyncio.gather(
                *(
                    coordinator.post("/g/3-cocus/coord/catalogue/copier", data, csrf=token)
                    for _ in range(5)
                )
            )
        ]
        assert sum("1 produit(s) copié(s) vers Bellefontaine" in text for text in results) == 1
        assert sum("0 produit(s) copié(s) vers Bellefontaine" in text for text in results) == 4

        await log_in_coordinator(other, BELLEFONTAINE)
        target = await other.get("/g/bellefontaine/coord/produits")
        assert catalog_rows(target, "Savon noir") == ["4,10"]
        assert catalog_rows(target, "Lessive 1 L") == ["2,25"]
        # The source is unchanged.
        source = await coordinator.get("/g/3-cocus/coord/produits")
        assert catalog_rows(source, "Savon noir") == ["4,10"]
        assert catalog_rows(source, "Lessive 1 L") == ["9,99"]
    finally:
        await coordinator.close()
        await other.close()


async def test_coordinator_of_one_group_cannot_copy_into_another(stack: Stack):
    coordinator = await stack.browser()
    cocus = await stack.browser()
    try:
        await log_in_coordinator(coordinator, BELLEFONTAINE)
        await add_product(coordinator, "bellefontaine", "Savon noir", "4,10")
        # A plain member of 3 Cocus, coordinator of Bellefontaine only.
        await join_group(coordinator)
        form = await coordinator.get("/g/bellefontaine/coord/catalogue/copier")
        assert "Vous n'êtes coordinateur d'aucun autre groupe" in form
        assert f'value="{COCUS.id}"' not in form.text
        refused = await coordinator.post(
            "/g/bellefontaine/coord/catalogue/copier", {"target_group_id": str(COCUS.id)}
        )
        assert refused.status == 403
        assert "Choisissez un groupe dont vous êtes coordinateur." in refused
        preview = await coordinator.get(f"/g/bellefontaine/coord/catalogue/copier?vers={COCUS.id}")
        assert preview.status == 403 and "Savon noir" not in preview.text.split("t-what")[0]
        await log_in_coordinator(cocus)
        assert catalog_rows(await cocus.get("/g/3-cocus/coord/produits"), "Savon noir") == []
    finally:
        await coordinator.close()
        await cocus.close()


async def test_correction_changes_total_and_balance_by_the_difference(
    stack: Stack, browser: Browser
):
    await sign_up(browser, "malik@example.org", first_name="Malik", last_name="Saidi")
    did, ids = await order_with_ids(browser, [("Lessive 1 L", "2"), ("Amandes avec peau", "0,5")])
    assert await balance(browser) == -1193  # 2 × 2,25 + 0,5 × 14,85 (7,43)
    coordinator = await stack.browser()
    try:
        await log_in_coordinator(coordinator)
        orders = await coordinator.get(f"/g/3-cocus/coord/d/{did}/commandes")
        link = re.search(rf'href="(/g/3-cocus/coord/d/{did}/commandes/[0-9a-f-]+)"', orders.text)
        assert link and "Corriger la commande" in orders
        path = link.group(1)
        page = await coordinator.get(path)
        assert "SAIDI Malik" in page and "11,93 €" in page and "-11,93 €" in page
        lessive, amandes = f"q-{ids['Lessive 1 L']}", f"q-{ids['Amandes avec peau']}"
        bases = {
            f"b-{ids['Lessive 1 L']}": page.hidden(f"b-{ids['Lessive 1 L']}"),
            f"b-{ids['Amandes avec peau']}": page.hidden(f"b-{ids['Amandes avec peau']}"),
        }

        # Bad quantities: a message next to each field, the input kept, nothing changes.
        bad = await coordinator.post(
            path, {lessive: "1,5", amandes: "beaucoup", "note": "", **bases}
        )
        assert bad.status == 422
        assert re.search(
            rf'id="e-{lessive}">Ce produit se commande à la pièce : indiquez un nombre entier.<',
            bad.text,
        )
        assert re.search(rf'id="e-{amandes}">Indiquez une quantité en chiffres', bad.text)
        assert 'id="e-note">Indiquez la raison de la correction.<' in bad.text
        assert f'name="{lessive}" class="qty" inputmode="decimal" value="1,5"' in bad.text
        too_much = await coordinator.post(path, {lessive: "1", amandes: "51", "note": "x", **bases})
        assert too_much.status == 422 and "Au plus 50 kg ou L." in too_much
        # An out-of-stock product added: ordering's refusal next to the field, nothing changes.
        catalog = await coordinator.get("/g/3-cocus/coord/produits")
        batterie = re.search(
            r'<tr id="p-([0-9a-f-]+)">\s*<td>Autres</td><td>Batterie', catalog.text
        )
        assert batterie
        await coordinator.get(path)
        empty = await coordinator.post(
            path,
            {
                lessive: "2",
                amandes: "0.5",
                "add_product": batterie.group(1),
                "add_quantity": "1",
                "note": "Ajout",
                **bases,
            },
        )
        assert empty.status == 422
        assert re.search(r'id="e-add_quantity">Rupture de stock', empty.text)
        assert await balance(browser) == -1193
        orders = await coordinator.get(f"/g/3-cocus/coord/d/{did}/commandes")
        assert "11,93 €" in orders

        # Lower both lines (a comma for the bulk one): total and balance move by the difference.
        page = await coordinator.get(path)
        form = {
            lessive: "1",
            amandes: "0,3",
            "note": "Manquait à la livraison",
            "idem": page.hidden("idem"),
            **bases,
        }
        # Two clicks at once on « Enregistrer »: one correction (the form's Idempotency-Key).
        done, twin = await asyncio.gather(
            coordinator.post(path, form), coordinator.post(path, form)
        )
        assert done.status == 200 and "Commande corrigée. Nouveau total : 6,71 €" in done
        assert twin.status == 200 and "Nouveau total : 6,71 €" in twin
        # 1 × 2,25 + 0,3 × 14,85 (4,455 → 4,46) = 6,71: the balance moves by exactly 5,22.
        assert await balance(browser) == -671
        assert "Manquait à la livraison" in done and "5,22 €" in done
        # The same form sent again (double click): already applied, nothing doubles.
        again = await coordinator.post(path, form)
        assert again.status == 200 and "Nouveau total : 6,71 €" in again
        assert await balance(browser) == -671

        # Remove the bulk line (0), raise the other (2): 2 × 2,25 = 4,50.
        page = await coordinator.get(path)
        bases = {
            f"b-{ids['Lessive 1 L']}": page.hidden(f"b-{ids['Lessive 1 L']}"),
            f"b-{ids['Amandes avec peau']}": page.hidden(f"b-{ids['Amandes avec peau']}"),
        }
        assert bases[f"b-{ids['Amandes avec peau']}"] == "0.3"
        done = await coordinator.post(
            path, {lessive: "2", amandes: "0", "note": "Plus d'amandes", **bases}
        )
        assert "Nouveau total : 4,50 €" in done
        assert await balance(browser) == -450
        mine = await browser.get(f"/g/3-cocus/d/{did}/ma-commande")
        assert "Amandes avec peau" not in mine and "Lessive 1 L" in mine
        assert "TOTAL 4,50 €" in mine, mine.visible_text()
        history = await browser.get("/g/3-cocus/paiements")
        assert history.visible_text().count("Correction par le coordinateur") == 2
    finally:
        await coordinator.close()


async def test_member_gets_403_on_every_new_page(stack: Stack, browser: Browser):
    await sign_up(browser, "curious@example.org")
    did, oid = uuid.uuid4(), uuid.uuid4()
    pages = [
        "/g/3-cocus/coord/catalogue/copier",
        f"/g/3-cocus/coord/catalogue/copier?vers={BELLEFONTAINE.id}",
        f"/g/3-cocus/coord/d/{did}/commandes/{oid}",
        "/association/bon-de-commande",
        "/association/bon-de-commande.csv",
    ]
    for path in pages:
        page = await browser.get(path)
        assert page.status == 403, path
        assert "Accès refusé" in page
    page = await browser.get("/g/3-cocus/commandes")
    for path, data in [
        ("/g/3-cocus/coord/catalogue/copier", {"target_group_id": str(BELLEFONTAINE.id)}),
        (f"/g/3-cocus/coord/d/{did}/commandes/{oid}", {f"q-{uuid.uuid4()}": "1", "note": "x"}),
    ]:
        refused = await browser.post(path, data, csrf=page.csrf())
        assert refused.status == 403, path
    # A coordinator who is not an association admin may not see the association's order.
    coordinator = await stack.browser()
    try:
        await log_in_coordinator(coordinator)
        dashboard = await coordinator.get("/g/3-cocus/coord")
        assert "Bon de commande de l'association" not in dashboard
        page = await coordinator.get("/association/bon-de-commande")
        assert page.status == 403 and "réservée aux administrateurs de l'association" in page
        assert (await coordinator.get("/association/bon-de-commande.csv")).status == 403
    finally:
        await coordinator.close()


async def test_association_purchase_order_sums_two_groups(stack: Stack, browser: Browser):
    await sign_up(browser, "lea@example.org", first_name="Léa", last_name="Petit")
    await order(browser, [("Lessive 1 L", "1"), ("Amandes avec peau", "0,5")])
    other = await stack.browser()
    admin = await stack.browser()
    try:
        await sign_up(other, "omar@example.org", first_name="Omar", slug="bellefontaine")
        await order(other, [("Lessive 1 L", "2"), ("Amandes avec peau", "0,25")], "bellefontaine")
        await log_in_admin(admin)
        assert 'href="/association/bon-de-commande"' in (await admin.get("/admin")).text
        page = await admin.get("/association/bon-de-commande")
        assert page.status == 200
        today = datetime.now(PARIS).date()
        first = today.replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        assert f'name="du" type="date" value="{first.isoformat()}"' in page.text
        assert f'name="au" type="date" value="{last.isoformat()}"' in page.text

        start, end = today - timedelta(days=1), today + timedelta(days=20)
        page = await admin.get(f"/association/bon-de-commande?du={start}&au={end}")
        rows = re.findall(r"<tr>(.*?)</tr>", page.text, flags=re.S)
        lessive = next(r for r in rows if "Lessive 1 L" in r)
        cells = re.findall(r"<td[^>]*>(.*?)</td>", lessive, flags=re.S)
        assert cells[1] == "3"  # 1 in 3 Cocus + 2 in Bellefontaine
        assert "3 Cocus : 1" in cells[2] and "Bellefontaine : 2" in cells[2]
        assert cents(cells[3]) == 675
        amandes = next(r for r in rows if "Amandes avec peau" in r)
        assert re.findall(r"<td[^>]*>(.*?)</td>", amandes, flags=re.S)[1] == "0.75"
        async with admin.session.get(
            f"{admin.base}/association/bon-de-commande.csv?du={start}&au={end}"
        ) as resp:
            assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/csv")
            assert "attachment" in resp.headers["Content-Disposition"]
            csv_lines = (await resp.text()).splitlines()
        assert any(ln.startswith("Lessive 1 L;") and ";3;" in ln for ln in csv_lines), csv_lines

        # Before the distributions: nothing; dates the wrong way round: a message next to « Au ».
        early = await admin.get("/association/bon-de-commande?du=2019-08-01&au=2019-08-31")
        assert "Aucune commande pour ces dates." in early
        bad = await admin.get(f"/association/bon-de-commande?du={end}&au={start}")
        assert bad.status == 422
        assert 'id="e-au">La date de fin doit être après la date de début.<' in bad.text
        typed = await admin.get("/association/bon-de-commande?du=31/02/2024&au=hier")
        assert typed.status == 422 and 'id="e-du">' in typed.text and 'id="e-au">' in typed.text
    finally:
        await other.close()
        await admin.close()


def test_month_defaults():
    from services.web.views.coord.parsing import month_of, parse_day

    assert month_of(date(2024, 2, 10)) == (date(2024, 2, 1), date(2024, 2, 29))
    assert parse_day("30/09/2024") == date(2024, 9, 30)
    assert parse_day("2024-09-30") == date(2024, 9, 30)
    assert parse_day("31/02/2024") is None
