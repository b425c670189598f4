"""« Modifier le groupe » and « Afficher comme coordinateur du groupe » on the association admin's
group page, against the real accounts, ordering and logistics apps: what the public join page
`/g/<slug>` shows afterwards."""

import re

from tests.integration.web.account_steps import log_in_admin
from tests.integration.web.conftest import Browser, Page, Stack, sign_up


def coordinator_line(join: Page) -> str:
    found = re.search(r"Coordinateur : [^–]*(?:– \S+)?", join.visible_text())
    assert found, join.visible_text()[:800]
    return found.group(0).strip()


async def test_admin_edits_the_group_and_the_join_page_shows_it(stack: Stack, browser: Browser):
    await log_in_admin(browser)
    before = await browser.get("/g/minguettes")
    assert coordinator_line(before) == "Coordinateur : Joachim ROBERT – joachim@vrac-asso.org"

    page = await browser.get("/admin/groupes/minguettes")
    assert page.status == 200
    assert "Modifier le groupe" in page
    # Pre-filled with the group as it is; no field for the link.
    assert re.search(r'id="f-name"[^>]*value="Minguettes"', page.text)
    assert re.search(r'id="f-city"[^>]*value="Vénissieux"', page.text)
    assert re.search(r'id="f-coordinator_email"[^>]*value="joachim@vrac-asso.org"', page.text)
    assert re.search(r'id="f-phone_required"[^>]* checked', page.text)
    assert not re.search(r'id="f-address_required"[^>]* checked', page.text)
    assert 'name="slug"' not in page.text

    page = await browser.post(
        "/admin/groupes/minguettes/modifier",
        {
            "name": "Minguettes Vénissieux",
            "city": "Vénissieux (69200)",
            "coordinator_name": "Leïla MANSOURI",
            "coordinator_email": "leila@vrac-asso.org",
            "contact_email": "contact-venissieux@vrac-asso.org",
            "address_required": "on",
        },
    )
    assert page.path == "/admin/groupes/minguettes?ok=modifie", page.visible_text()[:800]
    assert "Le groupe est modifié." in page
    assert "Leïla MANSOURI" in page and "contact-venissieux@vrac-asso.org" in page

    # Logged out, the join link is the same and shows the new details.
    visitor = await stack.browser()
    try:
        join = await visitor.get("/g/minguettes")
    finally:
        await visitor.close()
    assert join.status == 200
    assert "Groupement Minguettes Vénissieux" in join
    assert "Vénissieux (69200)" in join
    assert coordinator_line(join) == "Coordinateur : Leïla MANSOURI – leila@vrac-asso.org"
    assert 'href="mailto:leila@vrac-asso.org"' in join.text
    # The admin list shows the new name too.
    listing = await browser.get("/admin")
    assert "Minguettes Vénissieux" in listing and "Coordinateur : Leïla MANSOURI" in listing
    # Unticked « un numéro de téléphone »: no longer required, the address now is.
    page = await browser.get("/admin/groupes/minguettes")
    assert not re.search(r'id="f-phone_required"[^>]* checked', page.text)
    assert re.search(r'id="f-address_required"[^>]* checked', page.text)


async def test_a_bad_email_is_shown_next_to_its_field_and_nothing_changes(
    stack: Stack, browser: Browser
):
    await log_in_admin(browser)
    before = (await browser.get("/g/3-cocus")).visible_text()
    await browser.get("/admin/groupes/3-cocus")
    page = await browser.post(
        "/admin/groupes/3-cocus/modifier",
        {
            "name": "Trois Cocus",
            "city": "Toulouse",
            "coordinator_name": "Camille MARTIN",
            "coordinator_email": "coordination.3cocus@vrac-asso.org",
            "contact_email": "pas-une-adresse",
            "phone_required": "on",
            "address_required": "on",
        },
    )
    assert page.status == 400
    assert page.field_error("contact_email").startswith("Cette adresse e-mail")
    assert '<p class="error" id="e-name">' not in page.text
    # What was typed is kept.
    assert re.search(r'id="f-contact_email"[^>]*value="pas-une-adresse"', page.text)
    assert re.search(r'id="f-name"[^>]*value="Trois Cocus"', page.text)
    # Nothing changed, not even the valid name typed next to the bad email.
    assert (await browser.get("/g/3-cocus")).visible_text() == before
    assert "Trois Cocus" not in await browser.get("/admin")

    # An empty name: refused next to the name.
    await browser.get("/admin/groupes/3-cocus")
    page = await browser.post("/admin/groupes/3-cocus/modifier", {"name": "", "city": "Toulouse"})
    assert page.status == 400
    assert '<p class="error" id="e-name">Indiquez le nom du groupe' in page.text
    assert (await browser.get("/g/3-cocus")).visible_text() == before


async def test_a_non_admin_cannot_edit_a_group(stack: Stack, browser: Browser):
    before = (await browser.get("/g/3-cocus")).visible_text()
    page = await sign_up(browser, "curieux@example.org")
    page = await browser.post(
        "/admin/groupes/3-cocus/modifier",
        {"name": "Piraté", "city": "Ailleurs"},
        csrf=(await browser.get("/g/3-cocus/compte")).csrf(),
    )
    assert page.status == 403
    visitor = await stack.browser()
    try:
        assert (await visitor.get("/g/3-cocus")).visible_text() == before
    finally:
        await visitor.close()


async def test_naming_a_coordinator_shown_on_the_group_page(stack: Stack, browser: Browser):
    members = []
    for email, first, last in (
        ("awa@example.org", "Awa", "Diallo"),
        ("paul@example.org", "Paul", "Girard"),
    ):
        member = await stack.browser()
        members.append(member)
        await sign_up(member, email, first_name=first, last_name=last, slug="minguettes")
    try:
        await log_in_admin(browser)
        page = await browser.get("/admin/groupes/minguettes")
        assert re.search(r'id="f-show_coordinator"[^>]* checked', page.text)
        assert "Afficher comme coordinateur du groupe" in page
        awa = re.search(r'<option value="([0-9a-f-]{36})">DIALLO Awa', page.text)
        paul = re.search(r'<option value="([0-9a-f-]{36})">GIRARD Paul', page.text)
        assert awa and paul, page.visible_text()[:800]

        # Box unticked: Paul is coordinator, the group page still shows Joachim.
        page = await browser.post(
            "/admin/groupes/minguettes/coordinateur", {"user_id": paul.group(1)}
        )
        assert page.path == "/admin/groupes/minguettes?ok=coordinateur"
        join = await browser.get("/g/minguettes")
        assert coordinator_line(join) == "Coordinateur : Joachim ROBERT – joachim@vrac-asso.org"

        # A refused choice keeps the box as it was sent and changes nothing.
        await browser.get("/admin/groupes/minguettes")
        page = await browser.post(
            "/admin/groupes/minguettes/coordinateur",
            {"user_id": "00000000-0000-0000-0000-000000000000", "show_coordinator": "on"},
        )
        assert page.status == 400
        assert '<p class="error" id="e-user_id">' in page.text
        assert re.search(r'id="f-show_coordinator"[^>]* checked', page.text)
        page = await browser.post("/admin/groupes/minguettes/coordinateur", {"user_id": ""})
        assert page.status == 400
        assert not re.search(r'id="f-show_coordinator"[^>]* checked', page.text)
        join = await browser.get("/g/minguettes")
        assert coordinator_line(join) == "Coordinateur : Joachim ROBERT – joachim@vrac-asso.org"

        # Box ticked: Awa is coordinator and the group page shows her, as it showed Joachim.
        await browser.get("/admin/groupes/minguettes")
        page = await browser.post(
            "/admin/groupes/minguettes/coordinateur",
            {"user_id": awa.group(1), "show_coordinator": "on"},
        )
        assert page.path == "/admin/groupes/minguettes?ok=coordinateur"
        assert re.search(r"DIALLO Awa</strong> <span class=\"tag\">Coordinateur", page.text)
        assert re.search(r'id="f-coordinator_name"[^>]*value="Awa DIALLO"', page.text)
        join = await members[1].get("/g/minguettes")
        assert coordinator_line(join) == "Coordinateur : Awa DIALLO – awa@example.org"
        assert 'href="mailto:awa@example.org"' in join.text
        assert (await members[0].get("/g/minguettes/coord")).status == 200
    finally:
        for member in members:
            await member.close()
