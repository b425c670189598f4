"""The tutorial end to end in headless Chromium, every service a real process."""

import datetime
import re
import time
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.async_api import Page, expect

from services.web.formatting import long_date
from shared.demo import DEMO_ADMIN_EMAIL, DEMO_GROUPS, DEMO_PASSWORD
from tests.e2e.conftest import Processes, axe_violations

pytestmark = pytest.mark.e2e
COCUS = DEMO_GROUPS[0]
RUN = str(int(time.time()))


def field(page: Page, label: str) -> Any:
    """The field of this label (required fields add « * » to their label)."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}( \*)?$"))


@dataclass(frozen=True)
class Newcomer:
    """What a new member types in the sign-up form (in Toulouse, this run's e-mail)."""

    first: str
    last: str
    phone: str
    street: str
    postcode: str

    @property
    def email(self) -> str:
        return f"{self.first.lower()}.{RUN}@example.org"


AMINA = Newcomer("Amina", "Diallo", "0611111111", "3 rue des Lilas", "31200")
SARAH = Newcomer("Sarah", "Varda", "0606060606", "12 avenue de Lyon", "31500")


async def sign_up_through_join_link(page: Page, who: Newcomer) -> None:
    """Tutorial I: the group's link → « Connexion » → « S'inscrire » → form → « Inscription »."""
    await page.goto("/g/3-cocus")
    await page.get_by_role("link", name="Connexion", exact=True).click()
    await page.get_by_role("link", name="S'inscrire").click()
    await expect(page.get_by_role("heading", name="S'inscrire")).to_be_visible()
    await field(page, "Prénom").fill(who.first)
    await field(page, "Nom").fill(who.last)
    await field(page, "Adresse e-mail").fill(who.email)
    await field(page, "Mot de passe").fill("un-mot-de-passe-solide")
    await field(page, "Téléphone").fill(who.phone)
    await field(page, "Numéro et rue").fill(who.street)
    await field(page, "Code postal").fill(who.postcode)
    await field(page, "Ville").fill("Toulouse")
    await page.get_by_role("button", name="Inscription").click()
    await expect(page).to_have_url(re.compile(r"/g/3-cocus/commandes$"))


async def order(page: Page, product: str, quantity: str) -> None:
    item = page.locator("li.product", has=page.locator("p.pname", has_text=product))
    await item.get_by_role("textbox").fill(quantity)
    await item.get_by_role("button", name="Commande").click()
    await expect(page.get_by_text("Ajouté à ma commande")).to_be_visible()


async def validate_and_pay(page: Page) -> None:
    await page.get_by_role("button", name="Valider").click()
    await expect(page.get_by_role("heading", name="Paiement sur place")).to_be_visible()
    await page.get_by_role("button", name="Sélectionner").click()
    await expect(page.get_by_text("Votre commande est bien enregistrée")).to_be_visible()
    await expect(page.get_by_role("link", name="vérifier mes commandes")).to_be_visible()


async def open_green_card(page: Page) -> None:
    # The soonest open distribution comes first (the coordinator test may add another).
    card = page.locator("section.card.open").first
    await expect(card).to_contain_text("La commande fermera le")
    await card.get_by_role("link", name="Commander").click()
    await expect(page.get_by_role("heading", name="Ma commande")).to_be_visible()


async def joins_and_orders_one(page: Page, who: Newcomer, product: str) -> None:
    """A newcomer signs up through the group's link and orders one `product`, paid on site."""
    await sign_up_through_join_link(page, who)
    await open_green_card(page)
    await order(page, product, "1")
    await validate_and_pay(page)


async def test_tutorial_journey(new_page: Any, processes: Processes):
    # Another member, earlier: orders and chooses « Besoin d'être livré ».
    amina = await new_page()
    await joins_and_orders_one(amina, AMINA, "Lessive 1 L")
    await amina.get_by_role("link", name="Besoin d'être livré").click()
    await expect(amina.get_by_text("situation de fragilité")).to_be_visible()
    await amina.get_by_label("mon adresse", exact=True).check()
    await amina.get_by_label("mon téléphone").check()
    await amina.get_by_role("button", name="Confirmer : besoin d'être livré").click()
    await expect(amina.get_by_text("En attente d'une personne pour vous livrer.")).to_be_visible()

    # Sarah follows the tutorial.
    sarah = await new_page()
    await sign_up_through_join_link(sarah, SARAH)
    await open_green_card(sarah)
    await expect(sarah.get_by_text("Rupture de stock")).to_be_visible()
    await order(sarah, "Lessive 1 L", "1")
    await order(sarah, "Amandes avec peau", "0,5")
    cart = sarah.locator("#ma-commande")
    await expect(cart).to_contain_text("1 x Lessive 1 L")
    await expect(cart).to_contain_text("0.5 x Amandes avec peau - en vrac")
    await expect(cart).to_contain_text("TOTAL : 9.68")
    await validate_and_pay(sarah)

    # « créneau de passage »: the slots with their counts, 16:45 limited to 3.
    deadline = time.monotonic() + 30
    while not await sarah.locator("input[name=slot_id]").count():
        assert time.monotonic() < deadline, "no slots shown"
        await sarah.wait_for_timeout(500)
        await sarah.reload()
    processes.seed_logistics()
    await sarah.reload()
    await expect(sarah.get_by_text("16:45 – 17:00 : 0/3")).to_be_visible()
    await sarah.get_by_label(re.compile(r"^16:45 – 17:00")).check()
    await sarah.get_by_role("button", name="Choisir ce créneau").click()
    await expect(sarah.get_by_text("16:45 – 17:00 : 1/3 (mon créneau)")).to_be_visible()

    # « Possibilité de livrer »: Amina's request (first name, postcode, size) → « Sélectionner ».
    await sarah.get_by_role("button", name="Possibilité de livrer").click()
    row = sarah.locator("tr", has_text="Amina")
    await expect(row).to_contain_text("31200")
    await expect(row).not_to_contain_text("Lilas")
    await row.get_by_role("button", name="Sélectionner").click()
    await expect(sarah.get_by_text("les coordonnées ont été envoyées par e-mail")).to_be_visible()

    # Both receive an email with each other's details.
    to_sarah = await processes.wait_for_mail(
        lambda m: SARAH.email in m["to"] and "Amina" in m["text"] and "Lilas" in m["text"]
    )
    assert "06 11 11 11 11" in to_sarah["text"] or "0611111111" in to_sarah["text"].replace(
        " ", ""
    ).replace("+33", "0")
    to_amina = await processes.wait_for_mail(
        lambda m: AMINA.email in m["to"] and "Sarah" in m["text"] and SARAH.email in m["text"]
    )
    assert "Livraison" in to_amina["subject"]
    await sarah.goto("/dev/mail")
    await expect(sarah.get_by_text(to_sarah["subject"]).first).to_be_visible()

    # « Mon compte »: the order, « Non payé », « Solde : -9,68 € ».
    await sarah.goto("/g/3-cocus/commandes")
    await sarah.get_by_role("link", name="Mon compte").click()
    await expect(sarah.get_by_role("heading", name="Dernières commandes")).to_be_visible()
    orders = sarah.locator("table.lines").first
    await expect(orders).to_contain_text("Amandes avec peau - en vrac")
    await expect(orders).to_contain_text("0,5 kg")
    await expect(orders).to_contain_text("Non payé")
    await expect(orders).to_contain_text("9,68 €")
    await expect(sarah.get_by_text("Solde : -9,68 €")).to_be_visible()
    await expect(sarah.get_by_text("VARDA Sarah").first).to_be_visible()

    # « ma commande » → « imprimer ma commande »: a clean printed page.
    await sarah.goto("/g/3-cocus/commandes")
    await sarah.locator("section.card.open").first.get_by_role("link", name="ma commande").click()
    await sarah.get_by_role("link", name="imprimer ma commande").click()
    await sarah.emulate_media(media="print")
    await expect(sarah.get_by_role("table")).to_contain_text("Lessive 1 L")
    await expect(sarah.get_by_role("table")).to_contain_text("TOTAL")
    await expect(sarah.get_by_role("table")).to_contain_text("9,68 €")
    await expect(sarah.get_by_text("16:45 – 17:00")).to_be_visible()
    await expect(sarah.get_by_role("link", name="Retour")).to_be_hidden()
    pdf = await sarah.pdf()
    assert pdf.startswith(b"%PDF")
    await sarah.emulate_media(media="screen")

    # « Déconnexion » ends the session.
    await sarah.goto("/g/3-cocus/commandes")
    await sarah.get_by_role("button", name="Déconnexion").click()
    await expect(sarah).to_have_url(re.compile(r"/connexion$"))
    await sarah.goto("/g/3-cocus/compte")
    await expect(sarah).to_have_url(re.compile(r"/connexion\?"))


async def log_in(page: Page, email: str, password: str) -> None:
    await page.goto("/connexion")
    await field(page, "Adresse e-mail").fill(email)
    await field(page, "Mot de passe").fill(password)
    await page.get_by_role("button", name="Connexion").click()


async def test_coordinator_journey(new_page: Any, processes: Processes):
    member = await new_page()
    await joins_and_orders_one(
        member, Newcomer("Karim", "Benali", "0622222222", "5 rue Bayard", "31000"), "Dattes"
    )
    await member.goto("/g/3-cocus/compte")
    await expect(member.get_by_text("Solde : -6,22 €")).to_be_visible()

    coordinator = await new_page(1024)
    await log_in(coordinator, COCUS.coordinator_email, DEMO_PASSWORD)
    await coordinator.goto("/g/3-cocus/coord")
    # Create a distribution: place, window, opening and closing, products, slot capacity.
    await coordinator.get_by_role("link", name="Créer une distribution").click()
    # Distributions take place at most a year after ordering opens: dates relative to today.
    held_on = datetime.date.today() + datetime.timedelta(days=200)
    await field(coordinator, "Date").fill(held_on.isoformat())
    await field(coordinator, "Lieu").fill("Centre social test")
    await field(coordinator, "Adresse du lieu").fill("1 rue du Test 31000 Toulouse")
    await field(coordinator, "Ouverture de la commande : date").fill(
        (datetime.date.today() - datetime.timedelta(days=1)).isoformat()
    )
    await field(coordinator, "Fermeture de la commande : date").fill(
        (held_on - datetime.timedelta(days=1)).isoformat()
    )
    await field(coordinator, "Personnes par créneau de 15 minutes").fill("6")
    await coordinator.get_by_role("button", name="Créer la distribution").click()
    await expect(coordinator.get_by_role("heading", name="Créneaux et livraisons")).to_be_visible()
    await expect(
        coordinator.get_by_text(f"Distribution le {long_date(held_on)}").first
    ).to_be_visible()
    deadline = time.monotonic() + 30
    while not await coordinator.get_by_text("16:45 – 17:00").count():
        assert time.monotonic() < deadline, "slots of the new distribution never came"
        await coordinator.wait_for_timeout(500)
        await coordinator.reload()
    await expect(coordinator.locator("tr", has_text="16:45 – 17:00")).to_contain_text("0/3")
    await expect(coordinator.locator("tr", has_text="13:00 – 13:15")).to_contain_text("0/6")

    # Purchase order of the open distribution, then the payment on distribution day.
    await coordinator.goto("/g/3-cocus/coord")
    await (
        coordinator.locator("li", has_text="commande ouverte")
        .filter(has_not_text=long_date(held_on))
        .get_by_role("link")
        .first.click()
    )
    await coordinator.get_by_role("link", name="Bon de commande", exact=True).click()
    await expect(coordinator.locator("table")).to_contain_text("Dattes - en vrac")
    await coordinator.get_by_role("link", name="Feuille de distribution et paiements").click()
    row = coordinator.locator("tr", has_text="BENALI Karim")
    await expect(row).to_contain_text("6,22 €")
    await row.get_by_label("Montant (€)").fill("6,22")
    await row.get_by_label("Moyen").select_option("cash")
    await row.get_by_role("button", name="Enregistrer le paiement").click()
    await expect(coordinator.get_by_text("Paiement enregistré.")).to_be_visible()
    await expect(coordinator.locator("tr", has_text="BENALI Karim")).to_contain_text("Payé")

    await member.goto("/g/3-cocus/compte")
    await expect(member.get_by_text("Solde : 0,00 €")).to_be_visible()
    await expect(member.locator("table.lines").first).to_contain_text("Payé")


async def test_main_pages_have_no_serious_accessibility_violation(new_page: Any):
    page = await new_page()
    found: dict[str, Any] = {}
    for path in ("/g/3-cocus", "/connexion", "/inscription?groupe=3-cocus", "/mot-de-passe/oublie"):
        await page.goto(path)
        found[path] = await axe_violations(page)
    await sign_up_through_join_link(
        page, Newcomer("Lina", "Haddad", "0633333333", "7 rue Riquet", "31000")
    )
    found["/g/3-cocus/commandes"] = await axe_violations(page)
    await open_green_card(page)
    found["ordering page"] = await axe_violations(page)
    await order(page, "Lessive 1 L", "2")
    await page.get_by_role("button", name="Valider").click()
    found["payment"] = await axe_violations(page)
    await page.get_by_role("button", name="Sélectionner").click()
    found["confirmation, pickup and slots"] = await axe_violations(page)
    await page.goto("/g/3-cocus/compte")
    found["Mon compte"] = await axe_violations(page)
    assert not any(found.values()), found


async def test_pages_are_small_and_fit_a_small_screen(new_page: Any):
    page = await new_page(360)
    await log_in(page, COCUS.coordinator_email, DEMO_PASSWORD)
    await page.goto("/g/3-cocus/commandes")
    await page.locator("section.card.open").first.get_by_role("link", name="Commander").click()
    html = await page.content()
    assert len(html.encode()) < 100_000
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )
    assert not overflow


async def check_pages(page: Page, paths: list[str]) -> dict[str, Any]:
    """Per page: serious axe violations, size over 100 KB, sideways scrolling at this width."""
    problems: dict[str, Any] = {}
    for path in paths:
        response = await page.goto(path)
        assert response is not None and response.status == 200, path
        found: dict[str, Any] = {}
        # Measured before axe-core is injected (it adds half a megabyte to the document).
        if (size := len((await page.content()).encode())) >= 100_000:
            found["bytes"] = size
        if violations := await axe_violations(page):
            found["axe"] = violations
        if await page.evaluate(
            "document.documentElement.scrollWidth > document.documentElement.clientWidth"
        ):
            found["overflow"] = True
        if found:
            problems[path] = found
    return problems


async def test_coordinator_admin_and_personal_data_pages_on_a_small_screen(new_page: Any):
    coordinator = await new_page(360)
    await log_in(coordinator, COCUS.coordinator_email, DEMO_PASSWORD)
    await coordinator.goto("/g/3-cocus/coord")
    links = await coordinator.locator("a[href*='/coord/d/']").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    assert links
    distribution = links[0]
    problems = await check_pages(
        coordinator,
        [
            "/g/3-cocus/coord",
            "/g/3-cocus/coord/produits",
            "/g/3-cocus/coord/distributions/nouvelle",
            "/g/3-cocus/coord/catalogue/copier",
            distribution,
            f"{distribution}/commandes",
            f"{distribution}/produits",
            f"{distribution}/bon-de-commande",
            f"{distribution}/feuille",
            f"{distribution}/logistique",
            "/compte/donnees",
            "/compte/supprimer",
        ],
    )
    admin = await new_page(360)
    await log_in(admin, DEMO_ADMIN_EMAIL, DEMO_PASSWORD)
    problems |= await check_pages(
        admin,
        [
            "/admin",
            "/admin/groupes/nouveau",
            "/admin/groupes/3-cocus",
            "/association/bon-de-commande",
        ],
    )
    assert not problems, problems


async def test_no_contact_details_in_logs_or_events(processes: Processes):
    """Runs last: after every journey above, no log line of any process and no event body holds
    an e-mail address, a phone number or a street the test persons typed."""
    people = {
        "amina": ("0611111111", "3 rue des Lilas"),
        "sarah": ("", ""),
        "karim": ("0622222222", "5 rue Bayard"),
        "lina": ("0633333333", "7 rue Riquet"),
    }
    needles = set()
    for first, (phone, street) in people.items():
        needles.add(f"{first}.{RUN}@example.org")
        if phone:
            national = phone[1:]
            spaced = " ".join(phone[i : i + 2] for i in range(0, 10, 2))
            needles |= {phone, f"+33{national}", spaced, street}
    needles |= {COCUS.coordinator_email}
    haystacks = {
        path.name: path.read_text(errors="replace") for path in processes.logs.glob("*.log")
    }
    events = await processes.event_bodies()
    haystacks |= {f"event {i}": body.decode(errors="replace") for i, body in enumerate(events)}
    log_lines = sum(text.count("\n") for name, text in haystacks.items() if name.endswith(".log"))
    print(f"personal-data audit: {log_lines} log lines, {len(events)} events scanned")
    assert len(events) > 10 and log_lines > 10
    leaks = sorted(
        f"{name}: {needle}"
        for name, text in haystacks.items()
        for needle in needles
        if needle in text
    )
    assert leaks == []
