"""Issue 11 from outside, through the real pages: open redirect after log-in, unreadable forms,
the member's address behind a reverse proxy, the dev mail page, French field errors."""

import re
from typing import Any

import aiohttp
import asyncpg
import pytest

from services.accounts.throttle import address_key
from services.web.apiclient import API_KEY, Api
from shared.demo import DEMO_GROUPS, DEMO_PASSWORD

from .conftest import Browser, Stack, log_in, sign_up, submit_sign_up

COCUS = DEMO_GROUPS[0]


async def _login_post(
    browser: Browser, data: dict[str, str], headers: dict[str, str] | None = None
) -> aiohttp.ClientResponse:
    login = await browser.get("/connexion")
    items = [*data.items(), ("csrf_token", login.csrf())]
    async with browser.session.post(
        browser.base + "/connexion", data=items, allow_redirects=False, headers=headers
    ) as resp:
        await resp.read()
        return resp


@pytest.mark.parametrize(
    "hostile",
    ["/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", "/\\evil.example", "//evil"],
)
async def test_login_never_redirects_off_site(browser: Browser, hostile: str) -> None:
    resp = await _login_post(
        browser, {"email": COCUS.coordinator_email, "password": DEMO_PASSWORD, "next": hostile}
    )
    assert resp.status == 303
    assert resp.headers["Location"] == "/"
    # Logged in all the same, and a local `next` is still followed.
    assert browser.cookie("vrac_session")
    again = await _login_post(
        browser,
        {"email": COCUS.coordinator_email, "password": DEMO_PASSWORD, "next": "/groupes"},
    )
    assert again.headers["Location"] == "/groupes"


async def test_non_utf8_form_gets_a_french_400_and_changes_nothing(browser: Browser) -> None:
    page = await browser.get("/connexion")
    body = b"email=caf\xe9%40example.org&password=\xff\xfe&csrf_token=" + page.csrf().encode()
    async with browser.session.post(
        browser.base + "/connexion",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        allow_redirects=False,
    ) as resp:
        text = await resp.text()
        assert resp.status == 400, text[:300]
    assert "Formulaire illisible" in text
    assert not browser.cookie("vrac_session")
    bad_charset = b"email=a%40b.fr&csrf_token=" + page.csrf().encode()
    async with browser.session.post(
        browser.base + "/connexion",
        data=bad_charset,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=no-such"},
    ) as resp:
        assert resp.status == 400


async def test_nul_in_a_form_field_gets_a_french_400(stack: Stack, browser: Browser) -> None:
    page = await sign_up(browser, "nul@example.org", "Nu\x00l", "Octet", complete=False, slug=None)
    assert page.status == 400
    assert "caractères non valides" in page
    assert not browser.cookie("vrac_session")
    page = await log_in(browser, "a\x00@example.org", "x")
    assert page.status == 400 and "Formulaire illisible" in page


async def test_sign_up_checks_every_field_at_once_in_french(browser: Browser) -> None:
    page = await submit_sign_up(
        browser,
        {
            "first_name": "Sarah",
            "last_name": "",
            "email": "sarah@example.org",
            "password": "un-mot-de-passe-solide",
            "phone": "12",
            "postcode": "3120",
        },
    )
    assert page.status == 400
    # The phone is flagged on the first submit, beside the missing name, in French.
    assert re.search(r'id="e-phone">Ce numéro de téléphone n&#39;est pas valide', page.text)
    assert re.search(r'id="e-postcode">Le code postal doit faire 5 chiffres', page.text)
    assert 'id="e-last_name">Indiquez votre nom.' in page.text
    assert "Value error" not in page.text and "invalid phone" not in page.text
    assert 'value="12"' in page.text and 'value="Sarah"' in page.text
    # A valid number typed the French way passes, and is shown the French way.
    done = await submit_sign_up(
        browser,
        {
            "first_name": "Sarah",
            "last_name": "Varda",
            "email": "sarah.fr@example.org",
            "password": "un-mot-de-passe-solide",
            "phone": "06 06 06 06 06",
        },
    )
    assert done.status == 200, done.visible_text()[:300]
    edit = await browser.get("/compte/modifier")
    assert 'value="06 06 06 06 06"' in edit.text


async def test_members_behind_a_proxy_each_get_their_own_address(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The test client is 127.0.0.1, a trusted proxy by default: its X-Forwarded-For names the
    member, and what reaches accounts is that member's address, not the proxy's."""
    api: Api = stack.web.app[API_KEY]
    assert await api.service_tokens.get(), "accounts refused the web's service token"
    sent: list[dict[str, str]] = []
    original = api._request

    async def spy(*args: Any) -> Any:
        if args[2] == "/v1/sessions":
            sent.append(dict(args[7] or {}))
        return await original(*args)

    monkeypatch.setattr(api, "_request", spy)
    members = {"203.0.113.10": "alice@example.org", "198.51.100.20": "bob@example.org"}
    for address, email in members.items():
        b = await stack.browser()
        try:
            # A client-written entry on the left is ignored: the proxy appended the real one.
            headers = {"X-Forwarded-For": f"6.6.6.6, {address}"}
            resp = await _login_post(b, {"email": email, "password": "faux"}, headers)
            assert resp.status == 400
        finally:
            await b.close()
    assert [h["X-Client-Address"] for h in sent] == list(members)
    assert [h["X-Forwarded-For"] for h in sent] == list(members)
    assert all(h.get("X-Service-Token") for h in sent)
    # Accounts counted each failure against the member's own address (keys are HMACs).
    conn = await asyncpg.connect(stack.database_url, server_settings={"search_path": "accounts"})
    try:
        keys = {
            r["throttle_key"] for r in await conn.fetch("SELECT throttle_key FROM login_failures")
        }
    finally:
        await conn.close()

    def keyed(address: str) -> str:
        return address_key(stack.accounts_settings, address)

    assert {keyed(a) for a in members} <= keys
    assert keyed("127.0.0.1") not in keys
    assert keyed("6.6.6.6") not in keys


async def test_dev_mail_only_for_local_clients(browser: Browser) -> None:
    local = await browser.get("/dev/mail")
    assert local.status == 200
    # Through a local reverse proxy for someone on the network: not shown.
    proxied = await browser.get("/dev/mail", headers={"X-Forwarded-For": "192.0.2.8"})
    assert proxied.status == 404
    # Read-only: nothing on the web empties the sink.
    async with browser.session.delete(browser.base + "/dev/mail") as resp:
        assert resp.status in (403, 404, 405)  # 403: no CSRF token, nothing done
