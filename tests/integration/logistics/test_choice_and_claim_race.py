"""A volunteer who stops delivering keeps no request, even when the claim and the change of
choice race: the claim holds the volunteer's choice FOR SHARE, and the change of choice hands
back the claims in a statement after its own write (set_pickup_choice, migrations/0004), so it
sees a claim that committed while it waited."""

import asyncio
import uuid

from services.logistics import pairing, pickup
from services.logistics.models import ConsentIn, PickupIn
from shared.db import Database
from shared.problems import Problem
from tests.integration.logistics.conftest import make_distribution

ROUNDS = 30
NEED = PickupIn(
    choice="need_delivery", consent=ConsentIn(fields=["address"], text_version="2026-01")
)


async def refused_or_done(coro: object) -> int:
    """200 when the use case went through, the problem's status otherwise."""
    try:
        await coro  # type: ignore[misc]
    except Problem as problem:
        return problem.status
    return 200


async def test_a_claim_racing_the_volunteers_change_of_choice_leaves_no_claim_behind(
    db: Database,
) -> None:
    group_id, distribution_id = await make_distribution(db)
    for round_ in range(ROUNDS):
        requester, volunteer = uuid.uuid4(), uuid.uuid4()
        view = await pickup.set_pickup(db, group_id, distribution_id, requester, NEED)
        assert view.request is not None
        await pickup.set_pickup(
            db, group_id, distribution_id, volunteer, PickupIn(choice="can_deliver")
        )
        away = NEED if round_ % 2 else PickupIn(choice="pickup_only")
        claimed, changed = await asyncio.gather(
            refused_or_done(
                pairing.claim_request(
                    db, group_id, distribution_id, view.request.request_id, volunteer
                )
            ),
            refused_or_done(pickup.set_pickup(db, group_id, distribution_id, volunteer, away)),
        )
        assert changed == 200
        assert claimed in (200, 403), claimed  # 403 not-volunteer: the choice changed first
        async with db.connection() as conn:
            held = await conn.fetchval(
                "SELECT count(*) FROM delivery_requests WHERE volunteer_id = $1", volunteer
            )
            choice = await conn.fetchval(
                "SELECT choice FROM pickup_choices WHERE distribution_id = $1 AND user_id = $2",
                distribution_id,
                volunteer,
            )
        assert choice == away.choice
        assert held == 0, (round_, claimed)
