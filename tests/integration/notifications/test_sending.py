"""Sender loop, dead letters, erasure, header safety, orders, reminders, reset links."""

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import aio_pika

from services.notifications.mail import clean_display_name
from services.notifications.scheduler import schedule_reminders
from shared.contracts.accounts import PasswordResetRequestedV1, UserErasedV1
from shared.contracts.logistics import DeliveryAssignedV1
from shared.contracts.ordering import DistributionOpenedV1
from tests.integration.notifications.conftest import (
    distribution_event,
    outbox_rows,
    pairing_ids,
    wait_until,
)
from tests.integration.notifications.steps import publish_order, replica_with_group
from tests.support.mail import EXPECTED_HEADERS, parse, text_of


async def test_smtp_down_for_a_while_every_mail_arrives_once(start_service, stopped_smtp_server):
    smtp = stopped_smtp_server
    # Two replicas share the queue and the sender work.
    first, people, group_id = await replica_with_group(start_service, smtp.port)
    await start_service(smtp.port)
    distribution = await first.schedule_distribution(group_id)
    members = [people.person(f"Membre{n}", "TEST", "fr", group_id=group_id) for n in range(12)]
    for member in members:
        await publish_order(first, distribution, member)

    async def all_failed_twice() -> bool:
        rows = await outbox_rows(first.db)
        return len(rows) == 12 and all(r["attempts"] >= 2 for r in rows)

    await wait_until(all_failed_twice)
    rows = await outbox_rows(first.db)
    assert all(r["status"] == "pending" and "SMTP" in (r["last_error"] or "") for r in rows)
    assert smtp.messages == []

    await smtp.start()
    received = await smtp.settle(12, quiet=2.5)
    assert len(received) == 12
    assert Counter(m.rcpt_tos[0] for m in received) == Counter(people.email_of(m) for m in members)
    message_ids = {parse(m.raw)["Message-ID"] for m in received}
    assert len(message_ids) == 12
    assert {r["status"] for r in await outbox_rows(first.db)} == {"sent"}


async def test_order_confirmation_has_items_total_place_and_slot(start_service, smtp_server):
    service, people, group_id = await replica_with_group(start_service, smtp_server.port)
    booked = people.person("Sarah", "VARDA", "fr", group_id=group_id)
    unbooked = people.person("Anna", "MEYER", "de", group_id=group_id)
    distribution = distribution_event(group_id)
    slot_start = distribution.starts_at + timedelta(hours=3, minutes=45)
    people.bookings[(distribution.distribution_id, booked)] = {
        "slot_id": str(uuid.uuid4()),
        "distribution_id": str(distribution.distribution_id),
        "group_id": str(group_id),
        "user_id": str(booked),
        "starts_at": slot_start.isoformat(),
        "ends_at": (slot_start + timedelta(minutes=15)).isoformat(),
    }
    await service.publish("ordering.distribution.scheduled.v1", distribution)
    await publish_order(service, distribution, booked)
    await publish_order(service, distribution, unbooked)
    received = {m.rcpt_tos[0]: parse(m.raw) for m in await smtp_server.settle(2, quiet=0.5)}

    fr = received[people.email_of(booked)]
    assert str(fr["Subject"]) == "Votre commande est bien enregistrée – 3 Cocus"
    text = text_of(fr)
    assert "1 x Lessive 1 L — 2,25 € — 2,25 €" in text
    assert "0,5 x Amandes avec peau - en vrac (kg) — 14,85 € — 7,43 €" in text
    assert "TOTAL : 9,68 €" in text
    assert "Lieu : Centre social Eugénie Cotton, 23 rue Georges Lyvet 69200 Venissieux" in text
    paris = ZoneInfo("Europe/Paris")
    start, end = (
        slot_start.astimezone(paris),
        (slot_start + timedelta(minutes=15)).astimezone(paris),
    )
    assert f"Créneau de passage : {start:%H:%M} – {end:%H:%M}" in text
    assert "http://127.0.0.1:8080/g/3-cocus" in text

    de = received[people.email_of(unbooked)]
    assert "GESAMT: 9,68 €" in text_of(de)
    assert "Abholzeit: noch zu wählen" in text_of(de)


async def test_poison_event_is_dead_lettered_and_the_next_ones_handled(
    start_service, smtp_server, amqp_url, events_exchange
):
    service = await start_service(smtp_server.port)
    people = service.people
    user = people.person("Sarah", "VARDA", "en")
    reset_id = uuid.uuid4()
    people.resets[reset_id] = {
        "reset_id": str(reset_id),
        "user_id": str(user),
        "token": "tok-123_abc",
        "language": "en",
        "expires_at": datetime.now(UTC).isoformat(),
    }
    poison_id = await service.publish(
        "logistics.delivery.assigned.v1",
        {"request_id": "not-a-uuid", "volunteer_id": str(uuid.uuid4())},
    )
    await service.publish(
        "accounts.password_reset.requested.v1",
        PasswordResetRequestedV1(reset_id=reset_id, user_id=user, language="en"),
    )
    received = await smtp_server.settle(1, quiet=0.5)
    assert len(received) == 1
    message = parse(received[0].raw)
    assert str(message["Subject"]) == "New password for your VRAC account"
    assert "http://127.0.0.1:8080/mot-de-passe/nouveau?token=tok-123_abc" in text_of(message)
    rows = await outbox_rows(service.db)
    assert len(rows) == 1 and "tok-123" not in repr(rows)  # the token is never stored

    prefix = events_exchange.removesuffix("vrac.events")
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        dlq = await channel.declare_queue(f"{prefix}notifications.dlq", passive=True)
        dead = await dlq.get(timeout=5, fail=True)
        assert dead is not None and dead.message_id == str(poison_id)
        await dead.ack()
    finally:
        await connection.close()


async def test_erasure_deletes_queued_and_sent_mail_of_the_person(start_service, smtp_server):
    service, people, group_id = await replica_with_group(start_service, smtp_server.port)
    erased = people.person("Sarah", "VARDA", "fr", group_id=group_id)
    pending = people.person("Paul", "SCHMIDT", "de", group_id=group_id)
    other = people.person("Anna", "MEYER", "de", group_id=group_id)
    people.failing_contacts.add(pending)  # accounts answers 503 for Paul: his mail waits
    distribution = await service.schedule_distribution(group_id)
    await publish_order(service, distribution, erased)
    await publish_order(service, distribution, other)
    await publish_order(service, distribution, pending)
    # A pairing that mentions Sarah in Anna's mail (Sarah is the requester).
    await service.publish(
        "logistics.delivery.assigned.v1",
        DeliveryAssignedV1(
            **pairing_ids(distribution, erased, volunteer_id=other), consented_fields=["phone"]
        ),
    )
    await smtp_server.wait_for(4)

    async def paul_failed() -> bool:
        rows = await outbox_rows(service.db)
        return any(r["recipient_id"] == pending and r["attempts"] >= 1 for r in rows)

    await wait_until(paul_failed)
    await service.publish(
        "accounts.user.erased.v1", UserErasedV1(user_id=erased, group_ids=[group_id])
    )
    await service.publish(
        "accounts.user.erased.v1", UserErasedV1(user_id=pending, group_ids=[group_id])
    )

    async def erased_gone() -> bool:
        rows = await outbox_rows(service.db)
        return not any(str(erased) in str(r) or str(pending) in str(r) for r in rows)

    await wait_until(erased_gone)
    rows = await outbox_rows(service.db)
    # Anna keeps her own mail history; the pairing mail no longer names Sarah in any column.
    assert sorted((r["recipient_id"], r["kind"]) for r in rows) == sorted(
        [(other, "order_confirmation"), (other, "delivery_pairing_volunteer")]
    )
    pairing = next(r for r in rows if r["kind"] == "delivery_pairing_volunteer")
    assert pairing["related_user_id"] is None and pairing["context"]["requester_id"] is None
    async with service.db.connection() as conn:
        assert (
            await conn.fetchval(
                "SELECT count(*) FROM orders WHERE user_id = ANY($1)", [erased, pending]
            )
            == 0
        )
        assert await conn.fetchval("SELECT count(*) FROM assignments") == 0


async def test_hostile_names_and_addresses_never_add_headers_or_recipients(
    start_service, smtp_server
):
    service, people, group_id = await replica_with_group(start_service, smtp_server.port)
    hostile = people.person(
        "Eve\r\nBcc: evil@attacker.example",
        "=?UTF-8?Q?=0A?=Cc: x@y.org",
        "fr",
        email="eve@example.org",
    )
    bad_address = people.person(
        "Mallory", "X", "fr", email="mallory@example.org\r\nBcc: evil@attacker.example"
    )
    distribution = await service.schedule_distribution(group_id)
    for user in (hostile, bad_address):
        await publish_order(service, distribution, user)
    received = await smtp_server.settle(1, quiet=1.5)
    assert len(received) == 1
    assert received[0].rcpt_tos == ["eve@example.org"]
    message = parse(received[0].raw)
    assert list(message.keys()) == EXPECTED_HEADERS
    assert [a.addr_spec for a in message["To"].addresses] == ["eve@example.org"]
    shown = message["To"].addresses[0].display_name
    assert shown == clean_display_name(
        "Eve\r\nBcc: evil@attacker.example =?UTF-8?Q?=0A?=Cc: x@y.org"
    )
    assert "\n" not in shown and "\r" not in shown and "=?" not in shown
    rows = {
        r["recipient_id"]: r
        for r in await outbox_rows(service.db)
        if r["kind"] == "order_confirmation"
    }
    assert rows[bad_address]["status"] == "dropped"
    assert "InvalidAddress" in rows[bad_address]["last_error"]


async def test_distribution_opened_and_one_reminder_to_members_without_order(
    start_service, smtp_server
):
    service, people, group_id = await replica_with_group(start_service, smtp_server.port)
    second = await start_service(smtp_server.port)
    ordered = people.person("Sarah", "VARDA", "fr", group_id=group_id)
    waiting = [
        people.person(n, "TEST", lang, group_id=group_id)
        for n, lang in (("Anna", "de"), ("Bob", "en"))
    ]
    distribution = distribution_event(group_id, closes_in=timedelta(hours=30))
    opened = DistributionOpenedV1(**distribution.model_dump())
    await service.publish("ordering.distribution.opened.v1", opened)
    received = await smtp_server.settle(3, quiet=0.5)
    assert sorted(m.rcpt_tos[0] for m in received) == sorted(
        people.email_of(u) for u in (ordered, *waiting)
    )
    await publish_order(service, distribution, ordered)
    await smtp_server.wait_for(4)
    assert sum(await asyncio.gather(*(schedule_reminders(service.db, 24) for _ in range(4)))) == 0

    # Closing now in 20 hours: the reminder is due; the replicas' schedulers and these calls race.
    async with service.db.transaction() as conn:
        await conn.execute("UPDATE distributions SET closes_at = now() + interval '20 hours'")
    results = await asyncio.gather(*(schedule_reminders(second.db, 24) for _ in range(4)))
    assert sum(results) <= 1
    received = await smtp_server.settle(6, quiet=2.0)
    reminders = [parse(m.raw) for m in received[4:]]
    assert len(reminders) == 2
    assert sorted(str(m["To"].addresses[0].addr_spec) for m in reminders) == sorted(
        people.email_of(u) for u in waiting
    )
    subjects = {str(m["Subject"]) for m in reminders}
    assert subjects == {
        "Erinnerung: die Bestellung schließt bald – 3 Cocus",
        "Reminder: ordering closes soon – 3 Cocus",
    }
