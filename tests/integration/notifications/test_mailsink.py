"""Development mode: the service sends to its own aiosmtpd sink, whose mails are listed at
/dev/mail and /dev/mail.json."""

import asyncio
from typing import Any

from tests.integration.notifications.conftest import distribution_event, free_port
from tests.integration.notifications.test_sending import order


async def test_dev_mode_sink_receives_and_lists_the_mails(start_service):
    port = free_port()
    service = await start_service(port, dev_mode=True, mailsink_enabled=True, mailsink_port=port)
    people = service.people
    group_id = people.group()
    user = people.person(
        "Zoé", "<b>VARDA</b>", "fr", group_id=group_id, email="zoe.varda@example.org"
    )
    distribution = distribution_event(group_id)
    await service.publish("ordering.distribution.scheduled.v1", distribution)
    await service.publish("ordering.order.validated.v1", order(distribution, user, group_id))

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
    assert (await service.client.delete("/dev/mail")).status == 204
    assert (await (await service.client.get("/dev/mail.json")).json())["messages"] == []


async def test_dev_pages_do_not_exist_outside_dev_mode(start_service, smtp_server):
    service = await start_service(smtp_server.port)
    assert (await service.client.get("/dev/mail.json")).status == 404
    assert (await service.client.get("/healthz")).status == 200
    assert (await service.client.get("/readyz")).status == 200
