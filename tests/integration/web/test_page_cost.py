"""What a page costs (issue 13) against the real services: the session's token and `/me` kept
between pages (accounts counted through its own request metrics, never a mock) and dropped as
soon as the member leaves or the session ends; the order page's product list kept per offer and
shown anew when a price or a stock changes; gzip answers identical to the plain ones once
decompressed; conditional GET on the static files."""

import gzip
import re
import uuid

import aiohttp
from prometheus_client import REGISTRY
from yarl import URL

from services.web.catalog import CATALOG_CACHE
from shared.demo import DEMO_GROUPS
from tests.integration.web.conftest import (
    MEMBER_PASSWORD,
    Browser,
    Stack,
    log_in,
    log_in_coordinator,
    sign_up,
)
from tests.integration.web.member_steps import (
    ALMONDS,
    distribution_id,
    distribution_path,
    order,
    product_id,
)
from tests.support.fault_stack import log_in as api_log_in

COCUS = DEMO_GROUPS[0]
EMAIL = "paul@example.org"
STYLE = "/static/style.css"
TOKEN_AND_ME = frozenset({"/v1/sessions/current/token", "/v1/me"})
# What differs between two renders of the same page whatever the encoding: the signed CSRF token
# (it carries its time) and the order page's fresh Idempotency-Key.
PER_RENDER = re.compile(rb'name="(csrf_token|idem|cle)" value="[^"]*"')


def accounts_token_and_me_calls() -> float:
    """How many times accounts answered a token exchange or `/me` (its request metrics)."""
    total = 0.0
    for metric in REGISTRY.collect():
        for sample in metric.samples:
            labels = sample.labels
            if (
                sample.name == "http_requests_total"
                and labels.get("service") == "accounts"
                and labels.get("route") in TOKEN_AND_ME
            ):
                total += sample.value
    return total


async def test_a_second_page_asks_accounts_nothing(browser: Browser):
    await sign_up(browser, EMAIL, first_name="Paul")
    path = await distribution_path(browser)
    first = await browser.get(path)
    assert first.status == 200 and "Amandes avec peau" in first
    before = accounts_token_and_me_calls()
    again = await browser.get(path)
    cards = await browser.get("/g/3-cocus/commandes")
    account = await browser.get("/g/3-cocus/compte")
    assert (again.status, cards.status, account.status) == (200, 200, 200)
    assert "Paul" in account and "Amandes avec peau" in again
    assert accounts_token_and_me_calls() == before


async def test_a_member_who_leaves_is_refused_at_once_in_every_browser(stack: Stack):
    here, there = await stack.browser(), await stack.browser()
    try:
        await sign_up(here, EMAIL, first_name="Paul")
        await log_in(there, EMAIL, MEMBER_PASSWORD)
        path = await distribution_path(there)
        assert (await there.get(path)).path == path  # its token and `/me` are kept now
        await here.get("/g/3-cocus/quitter")
        assert (await here.post("/g/3-cocus/quitter", {})).path == "/groupes"
        refused = await there.get(path)
        assert refused.path == "/g/3-cocus"
        assert "Rejoindre ce groupe et commander" in refused
    finally:
        await here.close()
        await there.close()


async def test_leaving_outside_the_web_ends_the_kept_pages(stack: Stack, browser: Browser):
    """Left through accounts' API (another web replica, say): ordering refuses the kept token
    as soon as the event reaches it, and the page then asks accounts afresh."""
    await sign_up(browser, EMAIL, first_name="Paul")
    path = await distribution_path(browser)
    assert (await browser.get(path)).path == path
    member = await api_log_in(stack.url(stack.accounts), EMAIL, MEMBER_PASSWORD)
    async with (
        aiohttp.ClientSession(headers=member.headers) as http,
        http.delete(f"{stack.url(stack.accounts)}/v1/groups/{COCUS.id}/members/me") as resp,
    ):
        assert resp.status == 204, await resp.text()
    for _ in range(100):
        page = await browser.get(path)
        if page.path != path:
            break
    assert page.path == "/g/3-cocus", page.visible_text()[:300]


async def test_a_session_ended_is_not_served_from_the_kept_token(stack: Stack, browser: Browser):
    await sign_up(browser, EMAIL, first_name="Paul")
    path = await distribution_path(browser)
    session_cookie = stack.web_settings.session_cookie
    copied = await stack.browser()
    try:
        copied.session.cookie_jar.update_cookies(
            {session_cookie: browser.cookie(session_cookie) or ""}, URL(copied.base)
        )
        assert (await copied.get(path)).path == path  # the same session, kept
        await browser.post("/deconnexion", {})
        assert (await copied.get(path)).path.startswith("/connexion")
    finally:
        await copied.close()


async def test_the_product_list_follows_the_stock_at_once(stack: Stack, browser: Browser):
    await sign_up(browser, EMAIL, first_name="Paul")
    path = await distribution_path(browser)
    page = await browser.get(path)
    cache = stack.web.app[CATALOG_CACHE]
    served = cache.served
    assert (await browser.get(path)).text.count("Rupture de stock") == page.text.count(
        "Rupture de stock"
    )
    assert cache.served == served + 1  # the same offer: the kept list
    coordinator = await stack.browser()
    try:
        await log_in_coordinator(coordinator)
        products = await coordinator.get("/g/3-cocus/coord/produits")
        lessive = re.search(
            r'<tr id="p-([0-9a-f-]+)">\s*<td>Autres</td><td>Lessive 1 L<', products.text
        )
        assert lessive
        await coordinator.post(
            f"/g/3-cocus/coord/produits/{lessive.group(1)}",
            {"price": "2,25", "stock": "0", "active": "on"},
        )
    finally:
        await coordinator.close()
    changed = await browser.get(path)
    item = re.search(
        rf'<li class="product" id="p-{product_id(changed, "Lessive 1 L")}">(.*?)</li>',
        changed.text,
        flags=re.S,
    )
    assert item, changed.visible_text()[:500]
    assert "Rupture de stock" in item.group(1)
    assert (
        "Rupture de stock"
        not in page.text.split(f'id="p-{product_id(page, "Lessive 1 L")}"')[1][:300]
    )


async def fetch(browser: Browser, path: str, encoding: str) -> tuple[bytes, str | None]:
    """The body as sent on the wire (not decompressed) and its Content-Encoding."""
    async with (
        aiohttp.ClientSession(cookie_jar=browser.session.cookie_jar, auto_decompress=False) as raw,
        raw.get(browser.base + path, headers={"Accept-Encoding": encoding}) as resp,
    ):
        assert resp.status == 200
        return await resp.read(), resp.headers.get("Content-Encoding")


async def assert_gzip_matches_plain(browser: Browser, path: str) -> None:
    zipped, coding = await fetch(browser, path, "gzip")
    plain, plain_coding = await fetch(browser, path, "identity")
    assert (coding, plain_coding) == ("gzip", None)
    unzipped = gzip.decompress(zipped)
    assert len(zipped) * 2 < len(unzipped)
    assert PER_RENDER.sub(b"", unzipped) == PER_RENDER.sub(b"", plain)
    again, _ = await fetch(browser, path, "identity")
    assert PER_RENDER.sub(b"", again) == PER_RENDER.sub(b"", plain)  # the mask hides only those


async def test_pages_come_gzipped_and_identical_once_decompressed(stack: Stack, browser: Browser):
    await sign_up(browser, EMAIL, first_name="Paul")
    path = await order(browser, [ALMONDS])
    await assert_gzip_matches_plain(browser, path)
    coordinator = await stack.browser()
    try:
        await log_in_coordinator(coordinator)
        sheet = f"/g/3-cocus/coord/d/{distribution_id(path)}/feuille"
        await assert_gzip_matches_plain(coordinator, sheet)
    finally:
        await coordinator.close()


async def test_static_files_answer_conditional_gets(browser: Browser):
    async with browser.session.get(f"{browser.base}{STYLE}") as resp:
        assert resp.status == 200
        etag, modified = resp.headers["ETag"], resp.headers["Last-Modified"]
        assert resp.headers["Cache-Control"] == "public, max-age=3600"
    for condition in ({"If-None-Match": etag}, {"If-Modified-Since": modified}):
        async with browser.session.get(
            f"{browser.base}/static/style.css", headers=condition
        ) as resp:
            assert resp.status == 304
            assert await resp.read() == b""


async def test_pages_are_never_conditional(browser: Browser):
    """Pages are per member and carry a fresh CSRF token: no validator, never a 304."""
    await sign_up(browser, f"{uuid.uuid4().hex[:8]}@example.org")
    path = await distribution_path(browser)
    page = await browser.get(path)
    assert "ETag" not in page.headers and "Last-Modified" not in page.headers
    assert page.headers["Cache-Control"] == "no-store"
