"""Issue 14, defect 4: a claim made by someone who had just left the group (their token still
valid, the end not yet known to logistics) must not mail them the requester's name and phone."""

import asyncio

from shared.contracts.logistics import DeliveryAssignedV1
from tests.integration.notifications.conftest import (
    outbox_rows,
    pairing_ids,
    wait_until,
)
from tests.integration.notifications.steps import replica_with_group


async def test_no_pairing_mail_once_a_side_has_left_the_group(start_service, smtp_server):
    service, people, group_id = await replica_with_group(start_service, smtp_server.port)
    requester = people.person("Sarah", "VARDA", phone="06 12 34 56 78", group_id=group_id)
    volunteer = people.person("Paul", "SCHMIDT", group_id=group_id)
    # « Quitter le groupe »: accounts no longer lists Paul among the group's members.
    people.members[group_id] = [
        m for m in people.members[group_id] if m["user_id"] != str(volunteer)
    ]
    distribution = await service.schedule_distribution(group_id)
    await service.publish(
        "logistics.delivery.assigned.v1",
        DeliveryAssignedV1(
            **pairing_ids(distribution, requester, volunteer_id=volunteer),
            consented_fields=["phone", "address"],
        ),
    )

    async def both_dropped() -> bool:
        rows = await outbox_rows(service.db)
        return len(rows) == 2 and all(r["status"] == "dropped" for r in rows)

    await wait_until(both_dropped)
    await asyncio.sleep(0.5)
    assert smtp_server.messages == []  # neither the phone nor the address went anywhere
    rows = await outbox_rows(service.db)
    assert {r["last_error"] for r in rows} == {
        "Gone: a side of the pairing is no longer a member of the group"
    }
