"""A service's answer as the templates read it: the same JSON values, keys readable as
attributes without Jinja's failed-getattr path, and the same HTML."""

import uuid
from datetime import UTC, datetime

import jinja2
import pytest
from aiohttp import web
from pydantic import BaseModel

from services.web.rendering import TEMPLATES, setup_jinja
from services.web.views.common import PageData, page_data, page_list


class _Slot(BaseModel):
    slot_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    booked: int
    capacity: int
    full: bool
    mine: bool


class _Slots(BaseModel):
    state: str
    slots: list[_Slot]
    items: list[int]  # a key named as a dict method: read as the method, as with a plain dict


def _slots(count: int) -> _Slots:
    return _Slots(
        state="open",
        slots=[
            _Slot(
                slot_id=uuid.UUID(int=n),
                starts_at=datetime(2026, 12, 10, 9, 15 * (n % 4), tzinfo=UTC),
                ends_at=datetime(2026, 12, 10, 10, 15 * (n % 4), tzinfo=UTC),
                booked=n % 9,
                capacity=8,
                full=n % 9 >= 8,
                mine=n == 3,
            )
            for n in range(count)
        ],
        items=[1, 2],
    )


def test_the_json_values_with_their_keys_as_attributes():
    answer = _slots(3)
    data = page_data(answer)

    assert data == answer.model_dump(mode="json")
    assert isinstance(data, PageData) and isinstance(data["slots"][0], PageData)
    assert data.slots[1].slot_id == str(uuid.UUID(int=1))
    assert callable(data.items), "dict methods keep their names, as on a plain dict"
    with pytest.raises(AttributeError):
        _ = data.no_such_key
    assert page_list([answer, answer]) == [data, data]


def test_the_pickup_slot_list_renders_the_same_html():
    env = setup_jinja(web.Application())
    source = (TEMPLATES / "pickup.html").read_text()
    loop = source[source.index("{% for slot in slots.slots %}") :]
    loop = loop[: loop.index("{% endfor %}") + len("{% endfor %}")]
    template = env.from_string(loop)
    answer = _slots(28)

    as_plain_dicts = template.render(slots=answer.model_dump(mode="json"))
    as_page_data = template.render(slots=page_data(answer))

    assert as_page_data == as_plain_dicts
    assert (
        as_page_data.count("<li") == 28 and "s-00000000-0000-0000-0000-000000000003" in as_page_data
    )


def test_a_missing_key_is_still_refused_by_the_templates():
    env = setup_jinja(web.Application())
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("{{ slots.no_such_key }}").render(slots=page_data(_slots(1)))
