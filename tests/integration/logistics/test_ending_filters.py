"""The statements that end a person's requests, claims, bookings and choices take their scope as
parameters (one distribution, one group, or everywhere): each scope ends exactly its own rows and
leaves the person's rows elsewhere alone."""

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

import pytest

from services.logistics.domain import Choice, SharedField
from services.logistics.repository import pickup as pickup_repo
from services.logistics.repository import requests as request_repo
from services.logistics.repository import slots as slot_repo
from services.logistics.repository.requests import EndedRequest
from shared.db import Connection, Database
from tests.integration.logistics.conftest import make_distribution, slot_ids


async def three_distributions(db: Database) -> tuple[uuid.UUID, list[tuple[uuid.UUID, uuid.UUID]]]:
    """Group A with two distributions, group B with one: (group A, [(group, distribution)])."""
    group_a, a1 = await make_distribution(db)
    _, a2 = await make_distribution(db, group_id=group_a)
    group_b, b1 = await make_distribution(db)
    return group_a, [(group_a, a1), (group_a, a2), (group_b, b1)]


async def choose(
    conn: Connection,
    group_id: uuid.UUID,
    distribution_id: uuid.UUID,
    user: uuid.UUID,
    choice: Choice,
) -> uuid.UUID | None:
    """The member's pickup choice as the use case writes it; the request it created, if any."""
    needs = choice == "need_delivery"
    fields: list[SharedField] | None = ["address"] if needs else None
    change = await pickup_repo.set_pickup_choice(
        conn, group_id, distribution_id, user, choice, fields, "2026-01" if needs else None, ""
    )
    assert change.refused is None
    return change.requested


async def distributions_of(conn: Connection, query: str, person: uuid.UUID) -> set[uuid.UUID]:
    return {r["distribution_id"] for r in await conn.fetch(query, person)}


class EndsRequestsOf(Protocol):
    """request_repo.delete_requests_of and request_repo.unassign_claims_of: one person's side of
    the delivery requests, ended in a distribution, a group, or (no filter) everywhere."""

    async def __call__(
        self,
        conn: Connection,
        person: uuid.UUID,
        /,
        *,
        distribution_id: uuid.UUID | None = None,
        group_id: uuid.UUID | None = None,
    ) -> list[EndedRequest]: ...


async def ask_beside_someone_else(
    conn: Connection, group_id: uuid.UUID, distribution_id: uuid.UUID, requester: uuid.UUID
) -> None:
    """`requester` asks to be delivered there, and so does someone else (whose request stays)."""
    await choose(conn, group_id, distribution_id, requester, "need_delivery")
    await choose(conn, group_id, distribution_id, uuid.uuid4(), "need_delivery")


async def claim_someones_request(
    conn: Connection, group_id: uuid.UUID, distribution_id: uuid.UUID, volunteer: uuid.UUID
) -> None:
    """Someone asks to be delivered there, and `volunteer` takes the request."""
    request_id = await choose(conn, group_id, distribution_id, uuid.uuid4(), "need_delivery")
    assert request_id is not None
    await choose(conn, group_id, distribution_id, volunteer, "can_deliver")
    outcome, _ = await request_repo.claim(
        conn, group_id, distribution_id, request_id, volunteer, None
    )
    assert outcome == "assigned"


@dataclass(frozen=True)
class RequestSide:
    """A person's side of the delivery requests: how they come to hold it in a distribution, the
    statement that ends it, and what must be left of the requests once it has ended everywhere."""

    take: Callable[[Connection, uuid.UUID, uuid.UUID, uuid.UUID], Awaitable[None]]
    end: EndsRequestsOf
    person_of: Callable[[EndedRequest], uuid.UUID | None]
    held: str  # the distributions where the person ($1) still holds this side
    three_left: str  # counts the requests that must remain: 3


@pytest.mark.parametrize(
    "side",
    [
        pytest.param(
            RequestSide(
                ask_beside_someone_else,
                request_repo.delete_requests_of,
                lambda r: r.requester_id,
                "SELECT distribution_id FROM delivery_requests WHERE requester_id = $1",
                # The other requesters' requests are all still there.
                "SELECT count(*) FROM delivery_requests",
            ),
            id="requests-are-deleted",
        ),
        pytest.param(
            RequestSide(
                claim_someones_request,
                request_repo.unassign_claims_of,
                lambda r: r.volunteer_id,
                "SELECT distribution_id FROM delivery_requests WHERE volunteer_id = $1",
                # Handed back, not deleted: the three requests are open again.
                "SELECT count(*) FROM delivery_requests WHERE volunteer_id IS NULL",
            ),
            id="claims-are-handed-back",
        ),
    ],
)
async def test_a_side_of_the_requests_ends_in_one_distribution_then_one_group_then_everywhere(
    db: Database, side: RequestSide
) -> None:
    group_a, places = await three_distributions(db)
    (_, a1), (_, a2), (_, b1) = places
    person = uuid.uuid4()
    async with db.transaction() as conn:
        for group_id, distribution_id in places:
            await side.take(conn, group_id, distribution_id, person)
        ended = await side.end(conn, person, distribution_id=a1)
        assert [(side.person_of(r), r.distribution_id) for r in ended] == [(person, a1)]
        assert await distributions_of(conn, side.held, person) == {a2, b1}
        ended = await side.end(conn, person, group_id=group_a)
        assert [r.distribution_id for r in ended] == [a2]
        assert await distributions_of(conn, side.held, person) == {b1}
        ended = await side.end(conn, person)
        assert [r.distribution_id for r in ended] == [b1]
        assert await conn.fetchval(side.three_left) == 3


async def test_bookings_and_choices_end_in_one_group_then_everywhere(db: Database) -> None:
    group_a, places = await three_distributions(db)
    (_, a1), (_, a2), (_, b1) = places
    member = uuid.uuid4()
    booked = "SELECT distribution_id FROM bookings WHERE user_id = $1"
    chosen = "SELECT distribution_id FROM pickup_choices WHERE user_id = $1"
    for group_id, distribution_id in places:
        slot_id = (await slot_ids(db, distribution_id))[0]
        async with db.transaction() as conn:
            attempt = await slot_repo.book_open_slot(
                conn, group_id, distribution_id, member, slot_id
            )
            assert (attempt.inserted, attempt.booked) == (True, 1)
            await choose(conn, group_id, distribution_id, member, "pickup_only")
    async with db.transaction() as conn:
        released = await slot_repo.delete_bookings_of(conn, member, group_a)
        assert {(b.group_id, b.distribution_id) for b in released} == {
            (group_a, a1),
            (group_a, a2),
        }
        await pickup_repo.delete_pickup_choices_of(conn, member, group_a)
        assert await distributions_of(conn, booked, member) == {b1}
        assert await distributions_of(conn, chosen, member) == {b1}
        released = await slot_repo.delete_bookings_of(conn, member, None)
        assert [b.distribution_id for b in released] == [b1]
        await pickup_repo.delete_pickup_choices_of(conn, member, None)
        assert await distributions_of(conn, booked, member) == set()
        assert await distributions_of(conn, chosen, member) == set()
