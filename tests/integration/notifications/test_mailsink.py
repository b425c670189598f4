"""Development mode: the service sends to its own aiosmtpd sink, whose mails are listed at
/dev/mail and /dev/mail.json."""

import asyncio
import ipaddress
import socket
from typing import Any

import aiohttp
import pytest

from tests.integration.notifications.conftest import (
    clear_mail_sink,
)
from tests.integration.notifications.steps import publish_order, replica_with_group
from tests.support.processes import free_port


async def test_dev_mode_sink_receives_and_lists_the_mails(start_service):
    port = free_port()
    service, people, group_id = await replica_with_group(
        start_service, port, dev_mode=True, mailsink_enabled=True, mailsink_port=port
    )
    user = people.person(
        "Zoé", "<b>VARDA</b>", "fr", group_id=group_id, email="zoe.varda@example.org"
    )
    distribution = await service.schedule_distribution(group_id)
    await publish_order(service, distribution, user)

    messages: list[dict[str, Any]] = []
    for _ in range(100):
        resp = await service.client.get("/dev/mail.json")
        assert resp.status == 200
        messages = (await resp.json())["messages"]
        if messages:
            break
        await asyncio.sleep(0.1)
    assert len(messages) == 1
    mail = messages[0]
    assert mail["envelope_to"] == [people.email_of(user)]
    assert mail["subject"] == "Votre commande est bien enregistrée – 3 Cocus"
    assert "TOTAL : 9,68 €" in mail["text"]
    assert "&lt;b&gt;VARDA&lt;/b&gt;" not in mail["text"] and "<b>VARDA</b>" in mail["to"]

    page = await service.client.get("/dev/mail")
    html = await page.text()
    assert page.status == 200 and page.content_type == "text/html"
    assert "Votre commande est bien enregistrée" in html
    assert "<b>VARDA</b>" not in html and "&lt;b&gt;VARDA&lt;/b&gt;" in html
    part = await service.client.get(f"/dev/mail/{mail['id']}.html")
    assert part.status == 200 and "9,68 €" in await part.text()
    assert (await service.client.get("/dev/mail/999999.html")).status == 404
    # Ids beyond a bigint are unknown too, not a 500 from Postgres.
    for huge in ("99999999999999999999", "9223372036854775808", "9" * 400):
        resp = await service.client.get(f"/dev/mail/{huge}.html")
        assert resp.status == 404, huge
    # Read-only: nobody can empty the sink over HTTP; tests clear it in the database.
    assert (await service.client.delete("/dev/mail")).status in (404, 405)
    assert len((await (await service.client.get("/dev/mail.json")).json())["messages"]) == 1
    await clear_mail_sink(service.db)
    assert (await (await service.client.get("/dev/mail.json")).json())["messages"] == []


def _non_loopback_address() -> str | None:
    """An address of this machine that is not loopback (no packet is sent: UDP connect only
    picks the outgoing interface)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if ipaddress.ip_address(address).is_loopback else address


async def test_the_sink_answers_only_local_peers(start_service):
    address = _non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback address")
    port = free_port()
    service = await start_service(
        port, http_host="0.0.0.0", dev_mode=True, mailsink_enabled=True, mailsink_port=port
    )
    async with service.db.transaction() as conn:
        message_id = await conn.fetchval(
            "INSERT INTO sink_messages (mail_from, rcpt_tos, subject, raw)"
            " VALUES ('a@example.org', ARRAY['b@example.org'], 'Lien', $1) RETURNING id",
            b"Subject: Lien\r\n\r\nhttp://x/mot-de-passe/nouveau?token=secret\r\n",
        )
    server_port = service.client.server.port
    paths = ("/dev/mail.json", "/dev/mail", f"/dev/mail/{message_id}.html")
    async with aiohttp.ClientSession() as session:
        for path in paths:
            async with session.get(f"http://127.0.0.1:{server_port}{path}") as local:
                assert local.status == 200, path
            async with session.get(f"http://{address}:{server_port}{path}") as remote:
                assert remote.status == 404, path
                assert "token=secret" not in await remote.text()
        async with session.get(f"http://{address}:{server_port}/healthz") as health:
            assert health.status == 200


async def test_dev_pages_do_not_exist_outside_dev_mode(start_service, smtp_server):
    service = await start_service(smtp_server.port)
    assert (await service.client.get("/dev/mail.json")).status == 404
    assert (await service.client.get("/healthz")).status == 200
    assert (await service.client.get("/readyz")).status == 200
    app = service.client.server.app
    paths = [resource.canonical for resource in app.router.resources()]
    assert paths and not [p for p in paths if p.startswith("/dev")]
