"""« Mes données »: the download gathers every service's internal export (issue 14, defect 5).

Against the real accounts, ordering, logistics and notifications apps (each on its own port, on
the test database and exchange) and the web, driven like a browser. Mona does everything a
member can: orders, keeps a basket line, books a slot, asks for delivery, delivers someone
else's order, receives mails, and leaves a group after ordering in it; the file holds each piece,
and the readable page shows them."""

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestServer

from services.accounts.bootstrap import build_app as build_accounts
from services.accounts.seed import seed_demo as seed_accounts
from services.accounts.settings import AccountsSettings
from services.logistics.bootstrap import build_app as build_logistics
from services.logistics.settings import LogisticsSettings
from services.notifications.bootstrap import build_app as build_notifications
from services.notifications.settings import NotificationsSettings
from services.ordering.bootstrap import build_app as build_ordering
from services.ordering.seed import seed_demo as seed_ordering
from services.ordering.settings import OrderingSettings
from services.web.bootstrap import build_app as build_web
from services.web.settings import WebSettings
from tests.integration.web.conftest import (
    Browser,
    Page,
    open_distribution_path,
    product_id,
    sign_up,
    start,
)
from tests.support.processes import free_port

SECRET = "test-secret"


@dataclass
class FullStack:
    web: TestServer
    servers: dict[str, TestServer]
    web_settings: WebSettings
    database_url: str

    def url(self, server: TestServer) -> str:
        return str(server.make_url("")).rstrip("/")

    def browser(self) -> Browser:
        return Browser(self.url(self.web))


@pytest.fixture
async def full_stack(
    database_url: str, amqp_url: str, events_exchange: str
) -> AsyncIterator[FullStack]:
    """The web stack of tests/integration/web/conftest.py, plus notifications with its mail
    sink (started before ordering, so its queue is there for the first events)."""
    common: dict[str, Any] = {
        "database_url": database_url,
        "amqp_url": amqp_url,
        "events_exchange": events_exchange,
        "service_secret": SECRET,
    }
    accounts_settings = AccountsSettings(**common)
    await seed_accounts(accounts_settings)
    servers: dict[str, TestServer] = {}
    try:
        servers["accounts"] = await start(await build_accounts(accounts_settings))
        accounts_url = str(servers["accounts"].make_url("")).rstrip("/")
        servers["logistics"] = await start(
            await build_logistics(LogisticsSettings(**common, accounts_url=accounts_url))
        )
        logistics_url = str(servers["logistics"].make_url("")).rstrip("/")
        sink = free_port()
        servers["notifications"] = await start(
            await build_notifications(
                NotificationsSettings(
                    **common,
                    accounts_url=accounts_url,
                    logistics_url=logistics_url,
                    mailsink_enabled=True,
                    mailsink_port=sink,
                    smtp_port=sink,
                    sender_poll_seconds=0.2,
                )
            )
        )
        ordering_settings = OrderingSettings(
            **common, accounts_url=accounts_url, scheduler_interval=1.0
        )
        await seed_ordering(ordering_settings)
        servers["ordering"] = await start(await build_ordering(ordering_settings))
        web_settings = WebSettings(
            dev_mode=True,
            accounts_url=accounts_url,
            ordering_url=str(servers["ordering"].make_url("")).rstrip("/"),
            logistics_url=logistics_url,
            notifications_url=str(servers["notifications"].make_url("")).rstrip("/"),
            csrf_secret="test-csrf-secret",
            service_secret=SECRET,
        )
        web = await start(await build_web(web_settings))
        servers["web"] = web
        yield FullStack(web, servers, web_settings, database_url)
    finally:
        for server in reversed(list(servers.values())):
            await server.close()


async def eventually(check: Any, what: str, seconds: float = 30.0) -> Any:
    """Events travel through the broker: poll until `check()` answers something truthy."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        found = await check()
        if found:
            return found
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.3)


async def distribution_path(browser: Browser, slug: str) -> str:
    return open_distribution_path(await browser.get(f"/g/{slug}/commandes"))


async def add_to_basket(browser: Browser, path: str, name: str, quantity: str) -> Page:
    page = await browser.get(path)
    pid = product_id(page, name)
    form = re.search(
        rf'name="product_id" value="{pid}">\s*<input type="hidden" name="base" value="([^"]*)">'
        rf'\s*<input type="hidden" name="idem" value="([^"]*)">',
        page.text,
    )
    assert form, f"no basket form for {name}"
    return await browser.post(
        f"{path}/panier",
        {"product_id": pid, "base": form.group(1), "idem": form.group(2), "quantity": quantity},
    )


async def order(browser: Browser, slug: str, name: str, quantity: str) -> str:
    """Validate an order of one product in the group's open distribution; its path."""
    path = await distribution_path(browser, slug)
    await add_to_basket(browser, path, name, quantity)
    payment = await browser.get(f"{path}/paiement")
    done = await browser.post(
        f"{path}/paiement", {"payment_method": "on_site", "idem": payment.hidden("idem")}
    )
    assert "Votre commande est bien enregistrée" in done, done.visible_text()[:500]
    return path


async def need_delivery(browser: Browser, path: str) -> None:
    await browser.get(f"{path}/besoin-livraison")
    page = await browser.post(
        f"{path}/besoin-livraison",
        [
            ("phone", "0611111111"),
            ("street", "3 rue des Lilas"),
            ("postcode", "31200"),
            ("city", "Toulouse"),
            ("consent", "address"),
            ("consent", "phone"),
        ],
    )
    assert "Votre choix est enregistré." in page, page.visible_text()[:500]


async def join(browser: Browser, slug: str) -> None:
    await browser.get(f"/g/{slug}")
    page = await browser.post(f"/g/{slug}/rejoindre", {})
    assert page.path == f"/g/{slug}/commandes", page.path


async def download(browser: Browser) -> tuple[int, dict[str, str], bytes]:
    async with browser.session.get(browser.base + "/compte/donnees/telecharger") as resp:
        return resp.status, dict(resp.headers), await resp.read()


async def mails_of(database_url: str, user_id: str) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT kind, status FROM notifications.email_outbox WHERE recipient_id = $1",
            uuid.UUID(user_id),
        )
    finally:
        await conn.close()
    return [dict(r) for r in rows]


async def sink_subjects(database_url: str, address: str) -> list[str]:
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT subject FROM notifications.sink_messages WHERE $1 = ANY (rcpt_tos)", address
        )
    finally:
        await conn.close()
    return [str(r["subject"]) for r in rows]


def by_slug(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {g["group"]["slug"]: g for g in data["groups"]}


async def test_the_download_holds_everything_from_every_service_and_group(
    full_stack: FullStack,
) -> None:
    mona = full_stack.browser()
    victor = full_stack.browser()
    try:
        # Victor (Soupetard) orders and asks for delivery.
        await sign_up(victor, "victor.export@example.org", "Victor", "Livré", slug="soupetard")
        victor_path = await order(victor, "soupetard", "Lessive 1 L", "1")
        await need_delivery(victor, victor_path)

        # Mona, 3 Cocus: an order, then a line added to the basket and not validated, and a
        # delivery asked for.
        await sign_up(mona, "mona.export@example.org", "Mona", "Exportée", slug="3-cocus")
        cocus = await order(mona, "3-cocus", "Amandes avec peau", "0,5")
        await add_to_basket(mona, cocus, "Lessive 1 L", "2")
        await need_delivery(mona, cocus)

        # Soupetard: an order, a slot, and Victor's delivery taken.
        await join(mona, "soupetard")
        soupetard = await order(mona, "soupetard", "Lessive 1 L", "1")
        page = await eventually(lambda: _slots(mona, f"{soupetard}/retrait"), "slots of Soupetard")
        slot = re.search(r'id="s-([0-9a-f-]+)"', page.text)
        assert slot
        page = await mona.post(f"{soupetard}/creneau", {"slot_id": slot.group(1)})
        assert "Votre créneau de passage est enregistré." in page
        page = await mona.post(f"{soupetard}/retrait", {"choice": "can_deliver"})
        claim = re.search(r'/demandes/([0-9a-f-]+)"', page.text)
        assert claim, page.visible_text()[:500]
        page = await mona.post(f"{soupetard}/demandes/{claim.group(1)}", {})
        assert "les coordonnées ont été envoyées par e-mail" in page

        # Bellefontaine: an order and a basket line, then Mona leaves the group.
        await join(mona, "bellefontaine")
        belle = await order(mona, "bellefontaine", "Amandes avec peau", "1")
        await add_to_basket(mona, belle, "Lessive 1 L", "3")
        await mona.get("/g/bellefontaine/quitter")
        page = await mona.post("/g/bellefontaine/quitter", {})
        assert page.path == "/groupes"

        # The notifications consumer has handled the events, the sender has sent the mails.
        status, _, body = await download(mona)
        assert status == 200
        mona_id = json.loads(body)["user_id"]

        async def mails_sent() -> bool:
            mails = await mails_of(full_stack.database_url, mona_id)
            kinds = [m["kind"] for m in mails if m["status"] == "sent"]
            return kinds.count("order_confirmation") >= 3 and (
                "delivery_pairing_volunteer" in kinds
            )

        await eventually(mails_sent, "Mona's mails")

        async def complete() -> dict[str, Any] | None:
            status, _headers, body = await download(mona)
            assert status == 200
            data = json.loads(body)
            left = by_slug(data).get("bellefontaine")
            # Ordering and logistics record the end of the membership from the event.
            return data if left is not None and left["left_at"] else None

        data = await eventually(complete, "the end of the Bellefontaine membership")
        await _check_file(full_stack, data)
        await _check_page(mona)
    finally:
        await mona.close()
        await victor.close()


async def _slots(browser: Browser, path: str) -> Page | None:
    page = await browser.get(path)
    return page if 'name="slot_id"' in page.text else None


async def _check_file(stack: FullStack, data: dict[str, Any]) -> None:
    account = data["accounts"]
    assert account["profile"]["email"] == "mona.export@example.org"
    assert account["profile"]["phone"] and account["profile"]["street"]
    assert account["sessions"]
    text = json.dumps(data)
    assert "password_hash" not in text and "email_key" not in text
    # Logistics' copy of Mona (for the volunteer list): first name and postcode.
    copy = data["not_in_a_group"]["logistics"]["profile_copy"]
    assert copy == {**copy, "first_name": "Mona", "postcode": "31200"}

    groups = by_slug(data)
    assert set(groups) == {"3-cocus", "soupetard", "bellefontaine"}

    cocus = groups["3-cocus"]
    assert cocus["member_now"] and cocus["left_at"] is None
    (order,) = cocus["ordering"]["orders"]
    assert [line["product_name"] for line in order["lines"]] == ["Amandes avec peau - en vrac"]
    assert [line["product_name"] for line in cocus["ordering"]["cart_lines"]] == ["Lessive 1 L"]
    assert cocus["ordering"]["ledger"]["balance_cents"] == -order["total_cents"]
    (asked,) = cocus["logistics"]["delivery_requests"]
    assert asked["role"] == "requester"
    (choice,) = cocus["logistics"]["pickup_choices"]
    assert choice["choice"] == "need_delivery"
    assert sorted(choice["consent_fields"]) == ["address", "phone"]
    assert [s["items"] for s in cocus["logistics"]["order_sizes"]] == [1]

    soupetard = groups["soupetard"]
    assert soupetard["member_now"]
    assert len(soupetard["ordering"]["orders"]) == 1
    (booking,) = soupetard["logistics"]["bookings"]
    assert booking["slot_starts_at"]
    # The volunteer's side of the pairing, in logistics and in notifications.
    (delivered,) = soupetard["logistics"]["delivery_requests"]
    assert delivered["role"] == "volunteer" and delivered["paired"]
    (pairing,) = soupetard["notifications"]["pairings"]
    assert pairing["role"] == "volunteer"
    assert pairing["request_id"] == delivered["request_id"]

    # The group left: its order, ledger and the basket line still held.
    belle = groups["bellefontaine"]
    assert not belle["member_now"] and belle["left_at"]
    assert belle["group"]["name"] == "Bellefontaine"
    (left_order,) = belle["ordering"]["orders"]
    assert left_order["total_cents"] > 0
    assert belle["ordering"]["ledger"]["balance_cents"] == -left_order["total_cents"]
    assert [line["product_name"] for line in belle["ordering"]["cart_lines"]] == ["Lessive 1 L"]
    assert [s["items"] for s in belle["logistics"]["order_sizes"]] == [1]

    # The mails, with their subject as the sink received it, in Mona's language (French).
    assert data["language"] == "fr"
    mails = [m for g in data["groups"] for m in g.get("notifications", {}).get("mails", [])]
    confirmations = [m for m in mails if m["kind"] == "order_confirmation"]
    assert len(confirmations) >= 3
    assert any(m["subject"] == "Votre commande est bien enregistrée – Bellefontaine" for m in mails)
    (volunteer_mail,) = [m for m in mails if m["kind"] == "delivery_pairing_volunteer"]
    assert volunteer_mail["subject"] == "Livraison : vous livrez la commande de Victor Livré"
    received = await sink_subjects(stack.database_url, "mona.export@example.org")
    sent = {m["subject"] for m in mails if m["status"] == "sent"}
    assert sent and sent <= set(received), (sent, received)


async def _check_page(browser: Browser) -> None:
    page = await browser.get("/compte/donnees/consulter")
    assert page.status == 200, page.visible_text()[:500]
    assert "Mona" in page and "mona.export@example.org" in page
    assert "Bellefontaine" in page and "Vous avez quitté ce groupe le" in page
    assert "Panier non validé" in page
    assert "vous livrez la commande d'un autre membre" in page
    assert "Livraison : vous livrez la commande de Victor Livré" in page
    assert "Créneaux de passage" in page
    listing = await browser.get("/compte/donnees")
    assert 'href="/compte/donnees/consulter' in listing.text


async def test_a_service_down_gives_a_page_and_no_file(full_stack: FullStack) -> None:
    """Notifications not answering: the 503 page names it, and no partial file is made."""
    browser = full_stack.browser()
    broken = await start(
        await build_web(
            full_stack.web_settings.model_copy(update={"notifications_url": "http://127.0.0.1:9"})
        )
    )
    other = Browser(full_stack.url(broken))
    try:
        await sign_up(browser, "panne.export@example.org", "Paul", "Panne")
        session = browser.cookie("vrac_session")
        assert session
        other.session.cookie_jar.update_cookies({"vrac_session": session})
        for path in ("/compte/donnees/telecharger", "/compte/donnees/consulter"):
            async with other.session.get(other.base + path) as resp:
                assert resp.status == 503
                assert resp.content_type == "text/html"
                assert "Content-Disposition" not in resp.headers
                text = await resp.text()
            assert "« e-mails »" in text and "aucun fichier" in text
    finally:
        await other.close()
        await broken.close()
        await browser.close()


async def test_the_internal_exports_want_a_service_token(full_stack: FullStack) -> None:
    """A member's own token (or none) opens no one's export, not even their own."""
    browser = full_stack.browser()
    try:
        await sign_up(browser, "curieux.export@example.org", "Curieux", "Membre")
        status, _, body = await download(browser)
        assert status == 200
        user_id = json.loads(body)["user_id"]
        accounts = full_stack.url(full_stack.servers["accounts"])
        async with browser.session.post(
            f"{accounts}/v1/sessions",
            json={"email": "curieux.export@example.org", "password": "un-mot-de-passe-solide"},
        ) as resp:
            session_id = (await resp.json())["session_id"]
        async with browser.session.post(
            f"{accounts}/v1/sessions/current/token",
            headers={"Authorization": f"Session {session_id}"},
        ) as resp:
            token = (await resp.json())["access_token"]
        for name in ("accounts", "ordering", "logistics", "notifications"):
            url = f"{full_stack.url(full_stack.servers[name])}/internal/users/{user_id}/export"
            async with browser.session.get(url) as resp:
                assert resp.status == 401, name
            async with browser.session.get(
                url, headers={"Authorization": f"Bearer {token}"}
            ) as resp:
                assert resp.status == 403, name
                assert (await resp.json())["code"] == "service-only"
    finally:
        await browser.close()
