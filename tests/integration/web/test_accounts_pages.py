"""Join link, sign-up, log-in/out, banner, account page, language, password reset pages,
security headers and cookies."""

import re

from tests.integration.web.account_steps import get_with_session_cookie
from tests.integration.web.conftest import (
    MEMBER_PASSWORD,
    Browser,
    Stack,
    log_in,
    sign_up,
    submit_sign_up,
)
from tests.integration.web.member_steps import join_group


async def test_join_link_logged_out_offers_connexion_and_sign_up(browser: Browser):
    page = await browser.get("/g/3-cocus")
    assert page.status == 200
    assert "3 Cocus" in page
    assert 'href="/connexion?groupe=3-cocus">Connexion</a>' in page.text
    assert 'href="/inscription?groupe=3-cocus">S\'inscrire</a>' in page.text
    headers = page.headers
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "script-src" not in headers["Content-Security-Policy"]  # default-src 'none'
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cache-Control"] == "no-store"
    assert (await browser.get("/g/unknown-group")).status == 404


async def test_sign_up_joins_the_group_and_shows_the_green_card(browser: Browser):
    page = await sign_up(browser, "sarah@example.org")
    assert page.status == 200, page.visible_text()[:500]
    assert page.path == "/g/3-cocus/commandes"
    assert "Commander" in page and "La commande fermera le" in page
    assert "VARDA Sarah" in page
    assert "Les membres de ce groupe doivent" not in page  # phone and address given
    # The cookie holds the accounts session id only, HttpOnly and SameSite=Lax.
    assert browser.cookie("vrac_session")
    mine = await browser.get("/g/3-cocus/compte")
    assert "sarah@example.org" in mine and "06 06 06 06 06" in mine
    assert "Solde : 0,00 €" in mine


async def test_missing_phone_and_address_banner_on_every_group_page(browser: Browser):
    await sign_up(browser, "nophone@example.org", complete=False, slug="minguettes")
    # Minguettes requires a phone only; sign-up through its link without one is refused...
    assert browser.page is not None
    assert "Ce groupe demande un numéro de téléphone." in browser.page
    # ...so join 3 Cocus another way: sign up without group, then the join button.
    await sign_up(browser, "nophone@example.org", "Nour", "Ali", complete=False, slug=None)
    page = await join_group(browser)
    banner = (
        "Les membres de ce groupe doivent fournir un numéro de téléphone / leur adresse. "
        "Cliquez ici pour mettre à jour votre compte."
    )
    assert banner in page
    for path in ("/g/3-cocus/commandes", "/g/3-cocus/compte", "/g/3-cocus/paiements"):
        assert banner in await browser.get(path), path
    edit = await browser.get("/compte/modifier?next=/g/3-cocus/commandes")
    page = await browser.post(
        "/compte/modifier",
        {
            "first_name": "Nour",
            "last_name": "Ali",
            "email": "nophone@example.org",
            "phone": "0611223344",
            "street": "1 rue Bayard",
            "postcode": "31000",
            "city": "Toulouse",
            "next": edit.hidden("next"),
        },
    )
    assert page.path == "/g/3-cocus/commandes"
    assert "Les membres de ce groupe doivent" not in page


async def test_sign_up_errors_are_next_to_the_field_and_input_is_kept(browser: Browser):
    page = await submit_sign_up(
        browser,
        {
            "first_name": "Sarah",
            "last_name": "",
            "email": "pas-une-adresse",
            "password": "secret-qui-ne-doit-pas-revenir",
            "phone": "0606060606",
        },
        slug="3-cocus",
    )
    assert page.status == 400
    assert page.field_error("last_name") == "Indiquez votre nom."
    assert "n&#39;est pas valide" in page.text
    assert 'value="Sarah"' in page.text and 'value="pas-une-adresse"' in page.text
    assert "secret-qui-ne-doit-pas-revenir" not in page.text
    assert not browser.cookie("vrac_session")


async def test_post_without_csrf_token_changes_nothing(browser: Browser):
    page = await sign_up(
        browser, "eve@example.org", "Eve", "Attaque", complete=False, slug=None, csrf="forged"
    )
    assert page.status == 403
    assert "Le formulaire a expiré" in page
    page = await log_in(browser, "eve@example.org", MEMBER_PASSWORD)
    assert "Adresse e-mail ou mot de passe incorrect." in page


async def test_log_in_gives_a_new_session_and_log_out_ends_it(stack: Stack, browser: Browser):
    await sign_up(browser, "lea@example.org", first_name="Léa")
    first = browser.cookie("vrac_session")
    wrong = await log_in(browser, "lea@example.org", "non")
    assert wrong.status == 400 and "Adresse e-mail ou mot de passe incorrect." in wrong
    assert 'value="lea@example.org"' in wrong.text
    page = await log_in(browser, "lea@example.org", MEMBER_PASSWORD, next_path="/g/3-cocus/compte")
    assert page.path == "/g/3-cocus/compte"
    second = browser.cookie("vrac_session")
    assert second and second != first
    page = await browser.post("/deconnexion", {})
    assert page.path == "/connexion"
    assert not browser.cookie("vrac_session")
    # The session is over on the server too: replaying the old cookie gets nothing.
    page = await get_with_session_cookie(stack.url(stack.web), second, "/g/3-cocus/compte")
    assert page.path.startswith("/connexion")


async def test_open_redirect_through_next_is_refused(browser: Browser):
    await sign_up(browser, "nina@example.org", first_name="Nina")
    await browser.post("/deconnexion", {})
    page = await log_in(browser, "nina@example.org", MEMBER_PASSWORD, next_path="//evil.example/")
    assert page.url.startswith(browser.base)


async def test_language_is_kept_on_the_account(browser: Browser):
    await sign_up(browser, "hans@example.org", first_name="Hans")
    await browser.get("/g/3-cocus/compte")
    page = await browser.post("/compte/langue", {"language": "de", "next": "/g/3-cocus/compte"})
    assert "Mein Konto" in page and "Zahlungsdetails" in page
    assert page.headers["Content-Language"] == "de"
    page = await browser.get("/g/3-cocus/commandes")
    assert "Bestellen" in page
    await browser.get("/g/3-cocus/compte")
    page = await browser.post("/compte/langue", {"language": "en", "next": "/g/3-cocus/compte"})
    assert "Payment details" in page


async def test_browser_language_when_logged_out(browser: Browser):
    page = await browser.get("/g/3-cocus", headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert "Anmelden" in page and "Registrieren" in page
    page = await browser.get("/g/3-cocus", headers={"Accept-Language": "es"})
    assert "Connexion" in page


async def test_password_reset_pages(browser: Browser):
    await sign_up(browser, "rita@example.org", first_name="Rita")
    await browser.post("/deconnexion", {})
    await browser.get("/mot-de-passe/oublie")
    page = await browser.post("/mot-de-passe/oublie", {"email": "inconnu@example.org"})
    assert "Si un compte existe avec cette adresse" in page
    page = await browser.get("/mot-de-passe/nouveau?token=pas-un-vrai-jeton")
    assert 'value="pas-un-vrai-jeton"' in page.text
    # The two passwords are compared first; only then is the (unknown) link refused.
    for confirm, answer in (
        ("autre-chose", "Les deux mots de passe ne sont pas identiques."),
        ("nouveau-mot-de-passe", "Ce lien n'est plus valable."),
    ):
        page = await browser.post(
            "/mot-de-passe/nouveau",
            {
                "token": "pas-un-vrai-jeton",
                "new_password": "nouveau-mot-de-passe",
                "confirm_password": confirm,
            },
        )
        assert answer in page


async def test_leave_group(browser: Browser):
    await sign_up(browser, "paul@example.org", first_name="Paul")
    await browser.get("/g/3-cocus/quitter")
    page = await browser.post("/g/3-cocus/quitter", {})
    assert page.path == "/groupes"
    page = await browser.get("/g/3-cocus/commandes")
    assert page.path == "/g/3-cocus"
    assert "Rejoindre ce groupe et commander" in page


async def test_production_cookies_are_host_prefixed_and_secure(stack: Stack):
    from aiohttp.test_utils import TestClient, TestServer

    from services.web.bootstrap import build_app

    settings = stack.web_settings.model_copy(update={"dev_mode": False})
    async with TestClient(TestServer(await build_app(settings))) as client:
        resp = await client.get("/connexion")
        assert "Strict-Transport-Security" in resp.headers
        set_cookie = resp.headers.getall("Set-Cookie")
        csrf_cookie = next(c for c in set_cookie if c.startswith("__Host-vrac_csrf="))
        assert "Secure" in csrf_cookie and "HttpOnly" in csrf_cookie
        assert "SameSite=Lax" in csrf_cookie and "Path=/" in csrf_cookie
        assert "Domain" not in csrf_cookie
        token = re.search(r'name="csrf_token" value="([^"]+)"', await resp.text())
        assert token
        cookie_value = csrf_cookie.split(";")[0].split("=", 1)[1]
        resp = await client.post(
            "/connexion",
            data={
                "email": "coordination.3cocus@vrac-asso.org",
                "password": "vrac-demo-2026",
                "csrf_token": token.group(1),
                "next": "",
            },
            headers={"Cookie": f"__Host-vrac_csrf={cookie_value}"},
            allow_redirects=False,
        )
        assert resp.status == 303
        session = next(
            c for c in resp.headers.getall("Set-Cookie") if c.startswith("__Host-vrac_session=")
        )
        assert "Secure" in session and "HttpOnly" in session and "SameSite=Lax" in session


async def test_web_readiness_and_request_metrics(browser: Browser):
    ready = await browser.get("/readyz")
    assert ready.status == 200
    await browser.get("/g/3-cocus")
    metrics = (await browser.get("/metrics")).text
    assert 'http_requests_total{method="GET",route="/g/{slug}",service="web",status="200"}' in (
        metrics
    )
    assert "service_ready" in metrics
