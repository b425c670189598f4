"""The tutorial's ordering journey through the pages, against the real services."""

import re

from tests.integration.web.conftest import Browser, Stack, sign_up
from tests.integration.web.member_steps import (
    add_to_cart,
    ask_for_delivery,
    distribution_id,
    distribution_path,
    order,
    pay_on_site,
    product_id,
)


async def test_cards_show_the_three_states(browser: Browser):
    await sign_up(browser, "cards@example.org")
    page = await browser.get("/g/3-cocus/commandes")
    assert page.text.count('class="card open"') == 1
    assert page.text.count('class="card soon"') == 1
    assert page.text.count('class="card closed"') == 1
    text = page.visible_text()
    assert re.search(r"La commande fermera le \w+ \d{1,2} \w+ \d{4} à 23:59", text)
    assert re.search(r"Commande close depuis le \w+ \d{1,2} \w+ \d{4} à 23:59", text)
    assert "La commande n'est pas encore ouverte. Elle ouvrira le" in text
    assert re.search(
        r"Distribution le (Lundi|Mardi|Mercredi|Jeudi|Vendredi|Samedi|Dimanche) "
        r"\d{1,2} [A-ZÉÛ]\w+ \d{4}, 13:00 – 20:00",
        text,
    )


async def test_tutorial_order_total_validation_and_account(stack: Stack, browser: Browser):
    await sign_up(browser, "sarah.varda@example.org")
    path = await distribution_path(browser)
    page = await browser.get(path)
    assert page.status == 200
    assert len(page.text.encode()) < 100_000
    assert "Rupture de stock" in page  # Batterie de cuisine
    assert 'value="1" inputmode="decimal"' in page.text  # default quantity 1
    page = await add_to_cart(browser, path, "Lessive 1 L", "1")
    assert "Ajouté à ma commande" in page
    page = await add_to_cart(browser, path, "Amandes avec peau", "0,5")
    assert "0.5 x Amandes avec peau - en vrac" in page
    assert "1 x Lessive 1 L" in page
    assert "TOTAL : 9.68" in page

    # A bad quantity is refused next to its field, and the cart does not change.
    bad = await add_to_cart(browser, path, "Dattes", "1,2,3")
    assert bad.status == 422
    assert "Indiquez une quantité en chiffres" in bad
    assert "TOTAL : 9.68" in bad
    piece = await add_to_cart(browser, path, "Dentifrice Fraise des bois", "0,5")
    assert "Ce produit se commande à la pièce" in piece and "TOTAL : 9.68" in piece

    # « Valider » → « Paiement sur place » / « Sélectionner »; a double click records one order.
    valider = re.search(r'name="cle" value="([^"]+)"', page.text)
    assert valider
    payment = await browser.get(f"{path}/paiement?cle={valider.group(1)}")
    assert "Paiement sur place" in payment and "Sélectionner" in payment
    idem = payment.hidden("idem")
    csrf = payment.csrf()
    form = {"payment_method": "on_site", "idem": idem}
    first = await browser.post(f"{path}/paiement", form, csrf=csrf)
    second = await browser.post(f"{path}/paiement", form, csrf=csrf)
    for done in (first, second):
        assert "Votre commande est bien enregistrée" in done
        assert "vérifier mes commandes" in done
    account = await browser.get("/g/3-cocus/compte")
    assert "Solde : -9,68 €" in account
    assert "Non payé" in account
    assert "0,5 kg" in account and "Amandes avec peau - en vrac" in account
    assert "14,85 €" in account and "7,43 €" in account and "2,25 €" in account
    history = await browser.get("/g/3-cocus/paiements")
    assert "Solde : -9,68 €" in history and "-9,68 €" in history

    # After validation: adding still works, with a new « Valider »; removing is impossible.
    page = await add_to_cart(browser, path, "Lessive 1 L", "1")
    assert "2 x Lessive 1 L" in page and "TOTAL : 11.93" in page
    assert "Vous ne pouvez pas supprimer un produit une fois la commande validée" in page
    assert "/retirer" not in page.text.split('id="ma-commande"')[1].split("</section>")[0] or (
        "validé" in page
    )
    mine = await browser.get(f"{path}/ma-commande")
    assert "imprimer ma commande" in mine and "Télécharger en PDF" in mine
    printed = await browser.get(f"{path}/imprimer")
    assert 'media="print"' in printed.text and "VARDA Sarah" in printed
    assert "7,43 €" in printed and "9,68 €" in printed
    pdf_link = re.search(r'href="(/g/3-cocus/commande/[0-9a-f-]+\.pdf)"', mine.text)
    assert pdf_link
    async with browser.session.get(browser.base + pdf_link.group(1)) as resp:
        assert resp.status == 200
        assert resp.content_type == "application/pdf"
        assert (await resp.read()).startswith(b"%PDF")


async def test_double_click_on_commande_adds_once(browser: Browser):
    await sign_up(browser, "double@example.org")
    path = await distribution_path(browser)
    page = await browser.get(path)
    pid = product_id(page, "Lessive 1 L")
    idem = page.hidden("idem")
    csrf = page.csrf()
    form = {"product_id": pid, "base": "0", "idem": idem, "quantity": "1"}
    await browser.post(f"{path}/panier", form, csrf=csrf)
    page = await browser.post(f"{path}/panier", form, csrf=csrf)
    assert "1 x Lessive 1 L" in page and "TOTAL : 2.25" in page


async def test_pickup_choice_slots_and_delivery_pairing(stack: Stack, browser: Browser):
    other = await stack.browser()
    try:
        # Another member needs delivery.
        await sign_up(other, "amina@example.org", first_name="Amina", last_name="Diallo")
        path = await order(other, [("Lessive 1 L", "1")])
        page = await other.get(f"{path}/besoin-livraison")
        assert "situation de fragilité" in page
        refused = await other.post(
            f"{path}/besoin-livraison",
            {
                "phone": "0611111111",
                "street": "3 rue des Lilas",
                "postcode": "31200",
                "city": "Toulouse",
            },
        )
        assert "Cochez au moins une information" in refused
        page = await ask_for_delivery(other, path)
        assert "En attente d'une personne pour vous livrer." in page

        # The volunteer.
        await sign_up(browser, "sarah.v@example.org")
        path = await distribution_path(browser)
        await add_to_cart(browser, path, "Lessive 1 L", "1")
        done = await pay_on_site(browser, path)
        await stack.wait_for_slots(browser, f"{path}/retrait")
        await stack.seed_logistics()
        page = await browser.get(f"{path}/retrait")
        assert "Besoin d'être livré" in page and "Possibilité de livrer" in page
        assert "Récupérer sa commande uniquement" in page
        assert "16:45 – 17:00 : 0/3" in page and "13:00 – 13:15 : 0/8" in page
        slot = re.search(
            r'id="s-([0-9a-f-]+)" value="[^"]+"\s*>\s*<label for="s-[^"]+">16:45', page.text
        )
        assert slot
        page = await browser.post(f"{path}/creneau", {"slot_id": slot.group(1)})
        assert "Votre créneau de passage est enregistré." in page
        assert "16:45 – 17:00 : 1/3 (mon créneau)" in page
        page = await browser.post(f"{path}/creneau/liberer", {})
        assert "Votre créneau est libéré." in page
        assert "16:45 – 17:00 : 0/3" in page and "(mon créneau)" not in page
        assert "Libérer mon créneau" not in page
        page = await browser.post(f"{path}/creneau", {"slot_id": slot.group(1)})
        assert "16:45 – 17:00 : 1/3 (mon créneau)" in page and "Libérer mon créneau" in page
        page = await browser.post(f"{path}/retrait", {"choice": "can_deliver"})
        assert page.path.endswith("/demandes")
        # First name, postcode and size only — never the address or phone.
        assert "Amina" in page and "31200" in page and "1 produit(s)" in page
        assert "Lilas" not in page.text and "0611111111" not in page.text
        request_id = re.search(r'/demandes/([0-9a-f-]+)"', page.text)
        assert request_id
        page = await browser.post(f"{path}/demandes/{request_id.group(1)}", {})
        assert "les coordonnées ont été envoyées par e-mail" in page
        assert "Les personnes que je livre" in page and "Amina (31200)" in page
        assert done.status == 200

        mine = await other.get(f"{path}/retrait")
        assert "Une personne va vous livrer" in mine
    finally:
        await other.close()


async def test_full_slot_is_disabled(stack: Stack, browser: Browser):
    from tests.integration.web.conftest import log_in_coordinator

    coordinator = await stack.browser()
    try:
        await log_in_coordinator(coordinator)
        path = await distribution_path(coordinator)
        did = distribution_id(path)
        await stack.wait_for_slots(coordinator, f"{path}/retrait")
        page = await coordinator.get(f"/g/3-cocus/coord/d/{did}/logistique")
        slot_form = re.search(
            r'name="slot_id" value="([0-9a-f-]+)">\s*<label for="cap-[^"]+"'
            r' class="sr">Capacité 13:00',
            page.text,
        )
        assert slot_form
        page = await coordinator.post(
            f"/g/3-cocus/coord/d/{did}/capacite", {"slot_id": slot_form.group(1), "capacity": "0"}
        )
        assert "0/0" in page
    finally:
        await coordinator.close()
    await sign_up(browser, "full@example.org")
    page = await stack.wait_for_slots(browser, f"{path}/retrait")
    assert re.search(
        r'value="[0-9a-f-]+" disabled>\s*<label[^>]*>13:00 – 13:15 : 0/0 \(complet\)', page.text
    )
