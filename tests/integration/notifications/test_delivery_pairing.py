"""The reason the service exists: when a volunteer takes a delivery request, both people get
each other's contact details, in their own language, exactly once."""

from shared.contracts.logistics import DeliveryAssignedV1, DeliveryUnassignedV1
from tests.integration.notifications.conftest import outbox_rows, pairing_ids
from tests.integration.notifications.steps import replica_with_group
from tests.support.mail import html_of, parse, text_of


async def test_assignment_sends_two_mails_with_consented_details_once(start_service, smtp_server):
    service, people, group_id = await replica_with_group(start_service, smtp_server.port)
    requester = people.person(
        "Sarah",
        "VARDA",
        "fr",
        phone="06 12 34 56 78",
        street="4 rue des Lilas",
        postcode="31500",
        city="Toulouse",
        group_id=group_id,
    )
    volunteer = people.person("Paul", "SCHMIDT", "de", phone="07 98 76 54 32", group_id=group_id)
    distribution = await service.schedule_distribution(group_id)
    assigned = DeliveryAssignedV1(
        **pairing_ids(distribution, requester, volunteer_id=volunteer), consented_fields=["phone"]
    )
    event_id = await service.publish("logistics.delivery.assigned.v1", assigned)

    received = await smtp_server.settle(2)
    assert len(received) == 2
    by_recipient = {tuple(m.rcpt_tos): parse(m.raw) for m in received}
    assert set(by_recipient) == {(people.email_of(volunteer),), (people.email_of(requester),)}

    to_volunteer = by_recipient[(people.email_of(volunteer),)]
    assert to_volunteer["Content-Language"] == "de"
    assert to_volunteer["To"].addresses[0].addr_spec == people.email_of(volunteer)
    assert str(to_volunteer["Subject"]) == "Lieferung: Sie liefern die Bestellung von Sarah VARDA"
    for body in (text_of(to_volunteer), html_of(to_volunteer)):
        assert "Sarah VARDA" in body
        assert "06 12 34 56 78" in body  # consented
        assert "rue des Lilas" not in body and "31500" not in body  # address not consented
        assert people.email_of(requester) not in body  # email not consented
        assert "Centre social Eugénie Cotton" in body

    to_requester = by_recipient[(people.email_of(requester),)]
    assert to_requester["Content-Language"] == "fr"
    text = text_of(to_requester)
    assert "Paul SCHMIDT" in text
    assert "07 98 76 54 32" in text and people.email_of(volunteer) in text
    assert "le jour et l'heure" in text and "l'argent" in text and "contenants" in text

    # The broker delivers the same event again: still two mails.
    await service.publish("logistics.delivery.assigned.v1", assigned, event_id=event_id)
    received = await smtp_server.settle(2, quiet=2.0)
    assert len(received) == 2
    rows = await outbox_rows(service.db)
    assert [(r["kind"], r["status"]) for r in rows] == [
        ("delivery_pairing_volunteer", "sent"),
        ("delivery_pairing_requester", "sent"),
    ]
    # Only ids and field names are stored: no contact detail in the outbox.
    stored = repr(rows)
    assert "06 12 34 56 78" not in stored and "example.org" not in stored


async def test_withdrawal_tells_the_requester_and_the_coordinators(start_service, smtp_server):
    service, people, group_id = await replica_with_group(start_service, smtp_server.port)
    coordinator = people.person("Camille", "MARTIN", "en", group_id=group_id, role="coordinator")
    requester = people.person("Sarah", "VARDA", "fr", group_id=group_id)
    volunteer = people.person("Paul", "SCHMIDT", "de", group_id=group_id)
    distribution = await service.schedule_distribution(group_id)
    common = pairing_ids(distribution, requester, volunteer_id=volunteer)
    await service.publish(
        "logistics.delivery.assigned.v1", DeliveryAssignedV1(**common, consented_fields=["address"])
    )
    await smtp_server.wait_for(2)
    await service.publish(
        "logistics.delivery.unassigned.v1",
        DeliveryUnassignedV1(**common, reason="volunteer_withdrew"),
    )
    received = await smtp_server.settle(4)
    assert len(received) == 4
    later = {m.rcpt_tos[0]: parse(m.raw) for m in received[2:]}
    assert set(later) == {people.email_of(requester), people.email_of(coordinator)}
    assert str(later[people.email_of(requester)]["Subject"]) == (
        "Livraison : la personne bénévole s'est retirée"
    )
    assert str(later[people.email_of(coordinator)]["Subject"]) == (
        "Delivery without a volunteer: request of Sarah"
    )
