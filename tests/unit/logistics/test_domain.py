"""Pure rules: slot cutting and the order window."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.logistics.domain import Window, slot_id_for, slot_starts
from shared.problems import Problem

T13 = datetime(2019, 8, 30, 11, 0, tzinfo=UTC)  # 13:00 Paris


def test_13_to_20_gives_28_slots_of_15_minutes() -> None:
    slots = slot_starts(T13, T13 + timedelta(hours=7))
    assert len(slots) == 28
    assert slots[0] == (T13, T13 + timedelta(minutes=15))
    assert slots[-1][1] == T13 + timedelta(hours=7)
    assert slots[15][0] == T13 + timedelta(hours=3, minutes=45)  # 16:45


def test_partial_last_slot_and_empty_windows() -> None:
    slots = slot_starts(T13, T13 + timedelta(minutes=40))
    assert [e - s for s, e in slots] == [timedelta(minutes=15)] * 2 + [timedelta(minutes=10)]
    assert slot_starts(T13, T13) == []
    assert slot_starts(T13, T13 - timedelta(hours=1)) == []


def test_slot_ids_are_stable_per_distribution_and_start() -> None:
    d = uuid.uuid4()
    assert slot_id_for(d, T13) == slot_id_for(d, T13)
    assert slot_id_for(d, T13) != slot_id_for(d, T13 + timedelta(minutes=15))
    assert slot_id_for(d, T13) != slot_id_for(uuid.uuid4(), T13)


@pytest.mark.parametrize(
    ("now_offset", "state"),
    [
        (-timedelta(hours=1), "not_open"),
        (timedelta(hours=1), "open"),
        (timedelta(days=2), "closed"),
    ],
)
def test_window_state(now_offset: timedelta, state: str) -> None:
    opens = T13 - timedelta(days=10)
    w = Window(opens, opens + timedelta(days=1), T13, T13 + timedelta(hours=7), opens + now_offset)
    assert w.state == state
    if state == "open":
        w.require_open()
    else:
        with pytest.raises(Problem) as exc:
            w.require_open()
        assert exc.value.status == 409


def test_distribution_over() -> None:
    w = Window(T13, T13, T13, T13 + timedelta(hours=7), T13 + timedelta(hours=8))
    with pytest.raises(Problem) as exc:
        w.require_not_over()
    assert exc.value.code == "distribution-over"


def test_slot_count_is_bounded_before_any_cutting() -> None:
    from services.logistics.domain import MAX_SLOTS, TooManySlots, slot_count

    assert MAX_SLOTS == 288  # 24 h (the longest distribution ordering accepts) of 5-minute slots
    assert len(slot_starts(T13, T13 + timedelta(hours=24))) == 96
    assert len(slot_starts(T13, T13 + timedelta(hours=24), minutes=5)) == MAX_SLOTS
    assert slot_count(T13, T13 + timedelta(minutes=40), 15) == 3
    assert slot_count(T13, T13, 15) == 0
    # A 100-year window is refused from arithmetic alone, never by looping over it.
    with pytest.raises(TooManySlots):
        slot_starts(T13, T13 + timedelta(days=365 * 100))
    with pytest.raises(TooManySlots):
        slot_starts(T13, T13 + timedelta(hours=24, minutes=1), minutes=5)
