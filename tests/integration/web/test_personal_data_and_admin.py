"""« Mes données personnelles » (download, erasure) and the association admin pages (groups,
coordinators), against the real accounts, ordering and logistics apps."""

import json
import re

from services.web.bootstrap import build_app as build_web
from tests.integration.web.account_steps import get_with_session_cookie, log_in_admin
from tests.integration.web.conftest import (
    MEMBER_PASSWORD,
    Browser,
    Stack,
    log_in,
    sign_up,
    start,
)
from tests.integration.web.member_steps import ask_for_delivery, distribution_id, order


async def download(browser: Browser) -> tuple[int, dict[str, str], bytes]:
    async with browser.session.get(browser.base + "/compte/donnees/telecharger") as resp:
        return resp.status, dict(resp.headers), await resp.read()


# --- personal data ------------------------------------------------------------------------------


async def test_download_holds_the_members_email_and_order(stack: Stack, browser: Browser):
    await sign_up(browser, "export@example.org", first_name="Inès", last_name="Benali")
    path = await order(browser)
    # « Besoin d'être livré », with the consent to share the phone: held by logistics.
    await ask_for_delivery(browser, path, consents=("phone",))
    account = await browser.get("/g/3-cocus/compte")
    assert 'href="/compte/donnees?next=/g/3-cocus/compte"' in account.text
    page = await browser.get("/compte/donnees?next=/g/3-cocus/compte")
    assert page.status == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert "Télécharger mes données" in page and "Supprimer mon compte" in page
    assert 'href="/g/3-cocus/compte"' in page.text  # back to « Mon compte »

    status, headers, body = await download(browser)
    assert status == 200
    assert headers["Content-Type"].startswith("application/json")
    assert re.fullmatch(
        r'attachment; filename="vrac-mes-donnees-\d{4}-\d{2}-\d{2}\.json"',
        headers["Content-Disposition"],
    )
    assert headers["Cache-Control"] == "no-store"
    data = json.loads(body)
    assert data["accounts"]["profile"]["email"] == "export@example.org"
    assert "password_hash" not in body.decode()
    (group,) = data["groups"]
    assert group["group"]["slug"] == "3-cocus"
    (placed,) = group["ordering"]["orders"]
    assert placed["distribution_id"] == distribution_id(path)
    assert placed["total_cents"] == 743
    assert [line["product_name"] for line in placed["lines"]] == ["Amandes avec peau - en vrac"]
    assert group["ordering"]["ledger"]["balance_cents"] == -743
    (choice,) = group["logistics"]["pickup_choices"]
    assert choice["distribution_id"] == distribution_id(path)
    assert choice["consent_fields"] == ["phone"], choice


async def test_download_says_so_when_a_service_is_down(stack: Stack, browser: Browser):
    """Logistics not answering: a clear page, never a file missing its pickup data."""
    await sign_up(browser, "panne@example.org")
    broken = await start(
        await build_web(
            stack.web_settings.model_copy(update={"logistics_url": "http://127.0.0.1:9"})
        )
    )
    other = Browser(stack.url(broken))
    try:
        session = browser.cookie("vrac_session")
        assert session
        other.session.cookie_jar.update_cookies({"vrac_session": session})
        status, headers, body = await download(other)
        assert status == 503
        assert headers["Content-Type"].startswith("text/html")
        assert "Content-Disposition" not in headers
        text = body.decode()
        assert "retraits et livraisons" in text and "aucun fichier" in text
    finally:
        await other.close()
        await broken.close()


async def test_erase_ends_the_session_and_the_old_password_no_longer_works(
    stack: Stack, browser: Browser
):
    await sign_up(browser, "efface@example.org", first_name="Paul")
    await order(browser)
    session = browser.cookie("vrac_session")
    form = await browser.get("/compte/supprimer?next=/g/3-cocus/compte")
    assert form.status == 200
    assert "restent, sans votre nom, pour la comptabilité de l'association" in form
    assert re.search(r'<label for="f-password">', form.text)
    assert re.search(r'<label for="f-confirm">', form.text)

    # Without the tick, or with a wrong password: refused next to the field, nothing erased.
    page = await browser.post(
        "/compte/supprimer", {"password": MEMBER_PASSWORD, "next": "/g/3-cocus/compte"}
    )
    assert page.status == 400
    assert '<p class="error" id="e-confirm">' in page.text
    page = await browser.post(
        "/compte/supprimer",
        {"password": "pas-le-bon-mot-de-passe", "confirm": "yes", "next": "/g/3-cocus/compte"},
    )
    assert page.status == 400
    assert '<p class="error" id="e-password">Mot de passe incorrect.</p>' in page.text
    assert "pas-le-bon-mot-de-passe" not in page.text
    assert re.search(r'id="f-confirm"[^>]* checked', page.text)  # the tick is kept
    # A forged form changes nothing either.
    forged = await browser.post(
        "/compte/supprimer", {"password": MEMBER_PASSWORD, "confirm": "yes"}, csrf="forged"
    )
    assert forged.status == 403
    assert (await browser.get("/g/3-cocus/compte")).path == "/g/3-cocus/compte"

    await browser.get("/compte/supprimer")
    page = await browser.post(
        "/compte/supprimer",
        {"password": MEMBER_PASSWORD, "confirm": "yes", "next": "/g/3-cocus/compte"},
    )
    assert page.path == "/?compte=supprime"
    assert "Votre compte a été supprimé et vous êtes déconnecté." in page
    assert "Connexion" in page
    assert not browser.cookie("vrac_session")
    # The session is over on the server: replaying the old cookie gets the log-in page.
    assert session
    replay = await get_with_session_cookie(stack.url(stack.web), session, "/g/3-cocus/compte")
    assert replay.path.startswith("/connexion")
    page = await log_in(browser, "efface@example.org", MEMBER_PASSWORD)
    assert page.status == 400
    assert "Adresse e-mail ou mot de passe incorrect." in page
    assert not browser.cookie("vrac_session")


# --- association admin --------------------------------------------------------------------------


async def test_non_admin_gets_403_on_admin_pages(stack: Stack, browser: Browser):
    logged_out = await browser.get("/admin")
    assert logged_out.path.startswith("/connexion")
    page = await sign_up(browser, "pas-admin@example.org")
    assert 'href="/admin"' not in page.text
    for path in ("/admin", "/admin/groupes/nouveau", "/admin/groupes/3-cocus"):
        page = await browser.get(path)
        assert page.status == 403, path
        assert "réservée aux administrateurs de l'association" in page, path
    members = await browser.get("/g/3-cocus/commandes")
    page = await browser.post(
        "/admin/groupes/nouveau",
        {"slug": "groupe-pirate", "name": "Pirate", "city": "Toulouse"},
        csrf=members.csrf(),
    )
    assert page.status == 403
    me = await browser.get("/g/3-cocus/compte")
    page = await browser.post(
        "/admin/groupes/3-cocus/coordinateur",
        {"user_id": "00000000-0000-0000-0000-000000000000"},
        csrf=me.csrf(),
    )
    assert page.status == 403
    assert (await browser.get("/g/groupe-pirate")).status == 404


async def test_admin_creates_a_group_and_names_a_coordinator(stack: Stack, browser: Browser):
    await log_in_admin(browser)
    page = await browser.get("/admin")
    assert page.status == 200 and page.headers["Cache-Control"] == "no-store"
    assert "3 Cocus" in page and "Minguettes" in page
    groups_before = page.text.count('href="/admin/groupes/')

    # A bad slug, a missing city: errors next to the fields, input kept, nothing created.
    await browser.get("/admin/groupes/nouveau")
    page = await browser.post(
        "/admin/groupes/nouveau",
        {
            "slug": "La Reynerie",
            "name": "La Reynerie",
            "city": "",
            "coordinator_email": "pas-une-adresse",
            "phone_required": "on",
        },
    )
    assert page.status == 400
    assert page.field_error("slug").startswith("Le lien doit faire de 2 à 63 caractères")
    assert '<p class="error" id="e-city">Indiquez la ville' in page.text
    assert '<p class="error" id="e-coordinator_email">Cette adresse e-mail' in page.text
    assert 'value="La Reynerie"' in page.text and 'value="pas-une-adresse"' in page.text
    assert re.search(r'id="f-phone_required"[^>]* checked', page.text)
    assert (await browser.get("/g/la-reynerie")).status == 404
    page = await browser.get("/admin")
    assert page.text.count('href="/admin/groupes/') == groups_before

    await browser.get("/admin/groupes/nouveau")
    page = await browser.post(
        "/admin/groupes/nouveau",
        {
            "slug": "la-reynerie",
            "name": "La Reynerie",
            "city": "Toulouse",
            "coordinator_name": "Joachim ROBERT",
            "coordinator_email": "joachim@vrac-asso.org",
            "contact_email": "contact-toulouse@vrac-asso.org",
            "phone_required": "on",
        },
    )
    assert page.path == "/admin/groupes/la-reynerie?ok=cree"
    assert "Le groupe est créé." in page
    assert "/g/la-reynerie" in page and "Joachim ROBERT" in page
    assert "Personne n'a encore rejoint ce groupe." in page
    join = await browser.get("/g/la-reynerie")
    assert join.status == 200 and "La Reynerie" in join
    # The same link twice: refused next to the slug.
    await browser.get("/admin/groupes/nouveau")
    page = await browser.post(
        "/admin/groupes/nouveau", {"slug": "la-reynerie", "name": "Autre", "city": "Toulouse"}
    )
    assert page.status == 400
    assert '<p class="error" id="e-slug">Ce lien de groupe existe déjà.</p>' in page.text

    # A member joins through the join link; not a coordinator yet.
    member = await stack.browser()
    try:
        await sign_up(member, "future-coord@example.org", first_name="Awa", slug="la-reynerie")
        assert (await member.get("/g/la-reynerie/coord")).status == 403

        page = await browser.get("/admin/groupes/la-reynerie")
        option = re.search(r'<option value="([0-9a-f-]{36})">VARDA Awa', page.text)
        assert option, page.visible_text()[:800]
        # Somebody who is not a member of the group cannot be named.
        page = await browser.post(
            "/admin/groupes/la-reynerie/coordinateur",
            {"user_id": "00000000-0000-0000-0000-000000000000"},
        )
        assert page.status == 400
        assert '<p class="error" id="e-user_id">' in page.text
        page = await browser.post("/admin/groupes/la-reynerie/coordinateur", {"user_id": ""})
        assert page.status == 400 and "Choisissez un membre du groupe." in page
        assert (await member.get("/g/la-reynerie/coord")).status == 403

        page = await browser.post(
            "/admin/groupes/la-reynerie/coordinateur", {"user_id": option.group(1)}
        )
        assert page.path == "/admin/groupes/la-reynerie?ok=coordinateur"
        assert "Le coordinateur est nommé." in page
        assert re.search(r"VARDA Awa</strong> <span class=\"tag\">Coordinateur", page.text)
        coord = await member.get("/g/la-reynerie/coord")
        assert coord.status == 200
        assert "Coordination" in coord
    finally:
        await member.close()
