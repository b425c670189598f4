"""Never more bookings than capacity, under real concurrency against the real database."""

import asyncio
import random
import uuid
from collections import Counter
from typing import Any

from services.logistics import slots as slot_cases
from shared.db import Database
from shared.problems import Problem
from tests.integration.logistics.conftest import Client, People, make_distribution, slot_ids


async def attempt(coro: object) -> int:
    """Run a handler call; the HTTP status it would answer (5xx on anything unexpected)."""
    try:
        await coro  # type: ignore[misc]
    except Problem as problem:
        return problem.status
    except Exception:
        return 500
    return 201


async def slot_state(db: Database, slot_id: uuid.UUID) -> tuple[int, int, int]:
    async with db.connection() as conn:
        row = await conn.fetchrow(
            "SELECT booked, capacity, (SELECT count(*) FROM bookings WHERE slot_id = $1) AS n"
            " FROM slots WHERE id = $1",
            slot_id,
        )
    assert row is not None, slot_id
    return row["booked"], row["capacity"], row["n"]


async def bookings_of(db: Database, distribution_id: uuid.UUID, member: uuid.UUID) -> int:
    """How many bookings the member holds in the distribution (one at most, ever)."""
    async with db.connection() as conn:
        held: int = await conn.fetchval(
            "SELECT count(*) FROM bookings WHERE distribution_id = $1 AND user_id = $2",
            distribution_id,
            member,
        )
    return held


async def slot_of_8_places(db: Database, nth: int) -> tuple[uuid.UUID, uuid.UUID, str]:
    """The group, the `nth` slot of a new distribution of 8 places a slot, and the booking URL."""
    group_id, distribution_id = await make_distribution(db, capacity=8)
    slot = (await slot_ids(db, distribution_id))[nth]
    return group_id, slot, f"/v1/groups/{group_id}/distributions/{distribution_id}/booking"


async def book_over_http(
    client: Client, url: str, slot: uuid.UUID, headers: dict[str, str]
) -> tuple[int, Any]:
    """POST the booking of `slot`: the status and the JSON body (booking or problem)."""
    resp = await client.post(url, json={"slot_id": str(slot)}, headers=headers)
    return resp.status, await resp.json(content_type=None)


async def test_200_concurrent_bookings_on_slots_of_8_and_3_repeated_20_times(
    db: Database,
) -> None:
    for capacity in (8, 3):
        group_id, distribution_id = await make_distribution(db, capacity=capacity)
        slots = await slot_ids(db, distribution_id)
        for rep in range(20):
            slot = slots[rep]
            statuses = await asyncio.gather(
                *(
                    attempt(slot_cases.book_slot(db, group_id, distribution_id, uuid.uuid4(), slot))
                    for _ in range(200)
                )
            )
            counts = Counter(statuses)
            assert counts == {201: capacity, 409: 200 - capacity}, (capacity, rep, counts)
            assert await slot_state(db, slot) == (capacity, capacity, capacity)


async def test_200_concurrent_bookings_through_http(
    client: Client, db: Database, people: People
) -> None:
    group_id, slot, url = await slot_of_8_places(db, 5)

    async def one() -> tuple[int, str | None]:
        _, headers = people.member(group_id)
        status, body = await book_over_http(client, url, slot, headers)
        return status, body.get("code") if status != 201 else None

    results = await asyncio.gather(*(one() for _ in range(200)))
    counts = Counter(results)
    assert counts == {(201, None): 8, (409, "slot-full"): 192}
    assert await slot_state(db, slot) == (8, 8, 8)


async def test_100_bookings_and_50_cancellations_at_once_never_exceed_capacity(
    db: Database,
) -> None:
    group_id, distribution_id = await make_distribution(db, capacity=8)
    slot = (await slot_ids(db, distribution_id))[0]
    holders = [uuid.uuid4() for _ in range(8)]
    for user in holders:
        await slot_cases.book_slot(db, group_id, distribution_id, user, slot)
    # 50 cancellations: the 8 holders release, 42 others have nothing to release (404).
    cancellers = holders + [uuid.uuid4() for _ in range(42)]
    bookers = [uuid.uuid4() for _ in range(100)]
    calls: list[Any] = [
        slot_cases.book_slot(db, group_id, distribution_id, u, slot) for u in bookers
    ]
    calls += [slot_cases.release_booking(db, group_id, distribution_id, u) for u in cancellers]
    order = list(range(len(calls)))
    random.Random(7).shuffle(order)
    results = await asyncio.gather(*(attempt(calls[i]) for i in order))
    statuses = dict(zip(order, results, strict=True))
    assert 500 not in results
    booked, capacity, rows = await slot_state(db, slot)
    assert booked == rows <= capacity == 8
    accepted = sum(1 for i in range(len(bookers)) if statuses[i] == 201)
    released = sum(1 for i in range(len(bookers), len(calls)) if statuses[i] == 201)
    assert released == 8  # every holder released; the 42 others got 404
    assert rows == accepted
    assert {statuses[i] for i in range(len(bookers))} <= {201, 409}


async def test_10_parallel_bookings_by_one_member_make_one_booking(db: Database) -> None:
    group_id, distribution_id = await make_distribution(db, capacity=8)
    slots = await slot_ids(db, distribution_id)
    member = uuid.uuid4()
    # Five times the same slot and five different slots, all at once.
    targets = [slots[0]] * 5 + slots[1:6]
    statuses = await asyncio.gather(
        *(attempt(slot_cases.book_slot(db, group_id, distribution_id, member, s)) for s in targets)
    )
    assert Counter(statuses) == {201: 1, 409: 9}
    assert await bookings_of(db, distribution_id, member) == 1
    async with db.connection() as conn:
        total = await conn.fetchval(
            "SELECT sum(booked) FROM slots WHERE distribution_id = $1", distribution_id
        )
    assert total == 1


async def test_move_is_atomic(db: Database) -> None:
    group_id, distribution_id = await make_distribution(db, capacity=3)
    a, b, c = (await slot_ids(db, distribution_id))[:3]
    member = uuid.uuid4()
    await slot_cases.book_slot(db, group_id, distribution_id, member, a)
    for _ in range(3):
        await slot_cases.book_slot(db, group_id, distribution_id, uuid.uuid4(), b)
    # A failed move to a full slot keeps the old booking: never zero.
    status = await attempt(slot_cases.move_booking(db, group_id, distribution_id, member, b))
    assert status == 409
    assert (await slot_cases.my_booking(db, group_id, distribution_id, member)).slot_id == a
    assert await slot_state(db, a) == (1, 3, 1)
    assert await slot_state(db, b) == (3, 3, 3)
    # Many concurrent moves of one member: always exactly one slot held, counts consistent.
    targets = [c, a, c, a, c, b, c, a] * 3
    statuses = await asyncio.gather(
        *(
            attempt(slot_cases.move_booking(db, group_id, distribution_id, member, t))
            for t in targets
        )
    )
    assert 500 not in statuses
    assert await bookings_of(db, distribution_id, member) == 1
    async with db.connection() as conn:
        mismatched = await conn.fetchval(
            "SELECT count(*) FROM slots s WHERE distribution_id = $1 AND booked <>"
            " (SELECT count(*) FROM bookings b WHERE b.slot_id = s.id)",
            distribution_id,
        )
    assert mismatched == 0


async def test_opposite_moves_of_many_members_do_not_deadlock(db: Database) -> None:
    group_id, distribution_id = await make_distribution(db, capacity=20)
    a, b = (await slot_ids(db, distribution_id))[:2]
    left = [uuid.uuid4() for _ in range(15)]
    right = [uuid.uuid4() for _ in range(15)]
    for u in left:
        await slot_cases.book_slot(db, group_id, distribution_id, u, a)
    for u in right:
        await slot_cases.book_slot(db, group_id, distribution_id, u, b)
    statuses = await asyncio.gather(
        *(attempt(slot_cases.move_booking(db, group_id, distribution_id, u, b)) for u in left),
        *(attempt(slot_cases.move_booking(db, group_id, distribution_id, u, a)) for u in right),
    )
    assert 500 not in statuses
    booked_a, _, rows_a = await slot_state(db, a)
    booked_b, _, rows_b = await slot_state(db, b)
    assert booked_a == rows_a and booked_b == rows_b
    assert booked_a + booked_b == 30


async def test_booking_retried_with_its_idempotency_key_is_the_same_booking(
    client: Client, db: Database, people: People
) -> None:
    group_id, slot, url = await slot_of_8_places(db, 2)
    _, headers = people.member(group_id)
    keyed = {**headers, "Idempotency-Key": "retry-after-a-lost-answer"}

    async def post(with_headers: dict[str, str]) -> tuple[int, Any]:
        return await book_over_http(client, url, slot, with_headers)

    answers = await asyncio.gather(*(post(keyed) for _ in range(10)))
    assert {status for status, _ in answers} == {201}
    assert len({str(body) for _, body in answers}) == 1
    assert await post(keyed) == answers[0]
    assert await slot_state(db, slot) == (1, 8, 1)
    # The same booking asked again without the key is a new request: already booked.
    status, body = await post(headers)
    assert (status, body["code"]) == (409, "already-booked")
    async with db.connection() as conn:
        events = await conn.fetchval(
            "SELECT count(*) FROM outbox WHERE routing_key = 'logistics.slot.booked.v1'"
        )
    assert events == 1
