"""Issue 14, defect 4: a member who left can neither list nor claim delivery requests, with the
token they still hold; the claim is refused in its own transaction too, so a claim racing the
end of the membership cannot slip between the event and the api's in-memory copy."""

import time
import uuid

import pytest

from services.logistics import pairing
from shared.auth import TokenIssuer
from shared.contracts.accounts import MemberLeftV1
from shared.db import Database
from shared.problems import Problem
from tests.integration.logistics.conftest import Client, People, distribution_base, publish
from tests.integration.logistics.delivery_requests import request_and_volunteer
from tests.integration.test_membership_revocation import status_becomes


async def test_a_member_who_left_can_neither_list_nor_claim(
    client: Client, db: Database, people: People, settings, token_issuer: TokenIssuer
) -> None:
    group_id, _, base = await distribution_base(db)
    paired = await request_and_volunteer(client, people, group_id, base)
    request_id, vol, hv = paired.request_id, paired.volunteer_id, paired.volunteer_headers

    async def listing() -> int:
        return (await client.get(base + "/delivery-requests", headers=hv)).status

    assert await listing() == 200
    await publish(
        settings.amqp_url,
        settings.events_exchange,
        "accounts.member.left.v1",
        MemberLeftV1(user_id=vol, group_id=group_id),
    )
    assert await status_becomes(403, listing) == 403
    claim = await client.post(f"{base}/delivery-requests/{request_id}/claim", headers=hv)
    assert claim.status == 403
    async with db.connection() as conn:
        assert await conn.fetchval("SELECT volunteer_id FROM delivery_requests") is None


async def test_the_claim_checks_the_membership_in_its_transaction(
    db: Database, people: People, client: Client
) -> None:
    group_id, distribution_id, base = await distribution_base(db)
    paired = await request_and_volunteer(client, people, group_id, base)
    request_id, vol = paired.request_id, paired.volunteer_id
    issued_at = float(int(time.time()) - 60)  # the token was issued a minute ago
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO membership_revocations (user_id, group_id, ended_at)"
            " VALUES ($1, $2, now())",
            vol,
            group_id,
        )
    with pytest.raises(Problem) as refused:
        await pairing.claim_request(
            db, group_id, distribution_id, uuid.UUID(request_id), vol, issued_at
        )
    assert refused.value.status == 403
    # A token issued after the end (re-joined) claims again.
    summary = await pairing.claim_request(
        db, group_id, distribution_id, uuid.UUID(request_id), vol, time.time() + 1
    )
    assert summary.volunteer_id == vol
