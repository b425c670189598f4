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
from typing import Any

import pytest

from services.web.bootstrap import build_app as build_web
from tests.integration.web.conftest import Browser, Page, Stack, running_stack, sign_up, start
from tests.integration.web.member_steps import add_to_cart, ask_for_delivery, order
from tests.support.fault_stack import log_in as api_log_in
from tests.support.one_query import fetch_rows
from tests.support.processes import free_port


@pytest.fixture
async def full_stack(
    database_url: str, amqp_url: str, events_exchange: str
) -> AsyncIterator[Stack]:
    """The web stack of tests/integration/web/conftest.py, notifications with its mail sink."""
    sink = free_port()
    async with running_stack(
        database_url,
        amqp_url,
        events_exchange,
        mailsink_enabled=True,
        mailsink_port=sink,
        smtp_port=sink,
        sender_poll_seconds=0.2,
    ) as stack:
        yield stack


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


async def join(browser: Browser, slug: str) -> None:
    await browser.get(f"/g/{slug}")
    page = await browser.post(f"/g/{slug}/rejoindre", {})
    assert page.path == f"/g/{slug}/commandes", page.path


async def download(browser: Browser) -> tuple[int, dict[str, str], bytes]:
    async with browser.session.get(browser.base + "/compte/donnees/telecharger") as resp:
        return resp.status, dict(resp.headers), await resp.read()


async def mails_of(database_url: str, user_id: str) -> list[dict[str, Any]]:
    rows = await fetch_rows(
        database_url,
        "SELECT kind, status FROM notifications.email_outbox WHERE recipient_id = $1",
        uuid.UUID(user_id),
    )
    return [dict(r) for r in rows]


async def sink_subjects(database_url: str, address: str) -> list[str]:
    rows = await fetch_rows(
        database_url,
        "SELECT subject FROM notifications.sink_messages WHERE $1 = ANY (rcpt_tos)",
        address,
    )
    return [str(r["subject"]) for r in rows]


def by_slug(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {g["group"]["slug"]: g for g in data["groups"]}


async def test_the_download_holds_everything_from_every_service_and_group(
    full_stack: Stack,
) -> None:
    mona = await full_stack.browser()
    victor = await full_stack.browser()
    try:
        # Victor (Soupetard) orders and asks for delivery.
        await sign_up(victor, "victor.export@example.org", "Victor", "Livré", slug="soupetard")
        victor_path = await order(victor, [("Lessive 1 L", "1")], "soupetard")
        await ask_for_delivery(victor, victor_path)

        # Mona, 3 Cocus: an order, then a line added to the basket and not validated, and a
        # delivery asked for.
        await sign_up(mona, "mona.export@example.org", "Mona", "Exportée", slug="3-cocus")
        cocus = await order(mona)
        await add_to_cart(mona, cocus, "Lessive 1 L", "2")
        await ask_for_delivery(mona, cocus)

        # Soupetard: an order, a slot, and Victor's delivery taken.
        await join(mona, "soupetard")
        soupetard = await order(mona, [("Lessive 1 L", "1")], "soupetard")
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
        belle = await order(mona, [("Amandes avec peau", "1")], "bellefontaine")
        await add_to_cart(mona, belle, "Lessive 1 L", "3")
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


async def _check_file(stack: Stack, data: dict[str, Any]) -> None:
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


async def test_a_service_down_gives_a_page_and_no_file(full_stack: Stack) -> None:
    """Notifications not answering: the 503 page names it, and no partial file is made."""
    browser = await full_stack.browser()
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


async def test_the_internal_exports_want_a_service_token(full_stack: Stack) -> None:
    """A member's own token (or none) opens no one's export, not even their own."""
    browser = await full_stack.browser()
    try:
        await sign_up(browser, "curieux.export@example.org", "Curieux", "Membre")
        status, _, body = await download(browser)
        assert status == 200
        user_id = json.loads(body)["user_id"]
        member = await api_log_in(
            full_stack.url(full_stack.accounts),
            "curieux.export@example.org",
            "un-mot-de-passe-solide",
        )
        services = {
            "accounts": full_stack.accounts,
            "ordering": full_stack.ordering,
            "logistics": full_stack.logistics,
            "notifications": full_stack.notifications,
        }
        for name, server in services.items():
            url = f"{full_stack.url(server)}/internal/users/{user_id}/export"
            async with browser.session.get(url) as resp:
                assert resp.status == 401, name
            async with browser.session.get(url, headers=member.headers) as resp:
                assert resp.status == 403, name
                assert (await resp.json())["code"] == "service-only"
    finally:
        await browser.close()
