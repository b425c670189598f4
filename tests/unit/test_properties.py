"""Property tests (Hypothesis) of what must never drift: quantities a member types, money shown in
cents, and the events integrators read.

- Quantities: what a page or an answer shows, typed back (with a comma or a dot), gives the same
  value, in the web's parser and in ordering's; both accept and refuse the same texts.
- Money: a line total is quantity × unit price rounded half-up to the cent (SPEC §2.5:
  0.5 × 14,85 € = 7,43 €), exactly; every way an amount is shown reads back to its cents.
- Events: every contract model survives the way the outbox sends it (envelope, JSON, bytes) and the
  way a consumer reads it (CloudEvent, then the contract model).
"""

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from types import NoneType, UnionType
from typing import Literal, Union, get_args, get_origin

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from services.ordering import domain as ordering
from services.web import formatting
from services.web import quantities as web
from shared.contracts import EVENT_CONTRACTS
from shared.envelope import CloudEvent, new_event

# No example database: CI starts clean and the tree stays free of a .hypothesis directory.
PROFILE = settings(database=None, deadline=None)

MILLI = Decimal("0.001")
bulk_quantities = st.integers(1, 50_000).map(lambda n: Decimal(n) * MILLI)
piece_quantities = st.integers(1, ordering.MAX_PIECES)
separators = st.sampled_from([".", ","])
prices = st.integers(0, 100_000)


def web_value(text: str, bulk: bool) -> Decimal | None:
    try:
        return web.parse_quantity(text, bulk)
    except web.QuantityError:
        return None


def ordering_value(text: str, bulk: bool) -> Decimal | None:
    try:
        return ordering.parse_quantity(text, bulk)
    except ordering.QuantityError:
        return None


# --- quantities: round trips -----------------------------------------------------------------


@PROFILE
@given(quantity=bulk_quantities, separator=separators)
@example(quantity=Decimal("0.5"), separator=",")
@example(quantity=Decimal("0.001"), separator=".")
@example(quantity=Decimal(50), separator=",")
def test_a_bulk_quantity_shown_then_typed_back_is_the_same(quantity, separator):
    shown = {
        formatting.quantity(quantity),
        ordering.quantity_text(quantity),
        format(quantity, "f"),  # what the web sends to ordering ("0.500")
        formatting.quantity_with_unit(quantity, True, "kg").removesuffix(" kg"),
    }
    for text in shown:
        typed = text.replace(".", separator).replace(",", separator)
        assert web.parse_quantity(typed, bulk=True) == quantity, typed
        assert ordering.parse_quantity(typed, bulk=True) == quantity, typed


@PROFILE
@given(quantity=st.one_of(bulk_quantities, piece_quantities.map(Decimal)))
def test_the_web_and_ordering_show_a_quantity_the_same_way(quantity):
    assert formatting.quantity(quantity) == ordering.quantity_text(quantity)
    assert "E" not in ordering.quantity_text(quantity)


@PROFILE
@given(count=piece_quantities, zeros=st.integers(0, 3), separator=separators)
def test_a_piece_count_is_read_as_a_whole_number_by_both(count, zeros, separator):
    typed = f"{count}{separator}{'0' * zeros}" if zeros else str(count)
    for parse in (web.parse_quantity, ordering.parse_quantity):
        value = parse(typed, False)
        assert value == count
        assert value == value.to_integral_value()
        assert ordering.quantity_text(value) == str(count)


@PROFILE
@given(count=st.integers(0, 98), tenths=st.integers(1, 999), separator=separators)
def test_a_fraction_of_a_piece_is_refused_by_both(count, tenths, separator):
    typed = f"{count}{separator}{tenths:03d}"
    assert web_value(typed, bulk=False) is None
    assert ordering_value(typed, bulk=False) is None


@PROFILE
@given(
    micro=st.integers(1, 50_000_000).filter(lambda n: n % 1000 != 0),
    separator=separators,
)
def test_more_than_three_decimals_is_refused_by_both(micro, separator):
    typed = format(Decimal(micro).scaleb(-6), "f").replace(".", separator)
    assert web_value(typed, bulk=True) is None
    assert ordering_value(typed, bulk=True) is None


@PROFILE
@given(excess=st.integers(1, 10**5), bulk=st.booleans())
def test_above_the_maximum_or_zero_is_refused_by_both(excess, bulk):
    top = ordering.MAX_BULK if bulk else Decimal(ordering.MAX_PIECES)
    assert web.MAX_BULK == ordering.MAX_BULK and web.MAX_PIECES == ordering.MAX_PIECES
    for typed in (str(top + excess * (MILLI if bulk else 1)), "0", "0,000", "-1"):
        assert web_value(typed, bulk) is None, typed
        assert ordering_value(typed, bulk) is None, typed


# --- quantities: the web and ordering agree on what is valid ---------------------------------

# Texts a member could type: digits, both separators, signs, spaces, letters, and a few
# look-alikes (Arabic-Indic digit, non-breaking space, full-width digit).
typed_texts = st.text(
    alphabet=st.sampled_from([*"0123456789012345.,, -+\te", "١", "\u00a0", "５"]),
    max_size=10,
)


@settings(PROFILE, max_examples=400)
@given(text=typed_texts, bulk=st.booleans())
@example(text="0,5", bulk=True)
@example(text="1.", bulk=True)
@example(text=",5", bulk=True)
def test_the_web_and_ordering_accept_the_same_texts(text, bulk):
    assert web_value(text, bulk) == ordering_value(text, bulk), repr(text)


# Found by the property above: the web used to remove every space inside a quantity, so « 0 5 »
# typed for half a kilo became 5 kg in the cart without a word while the API refused it.
def test_a_space_inside_a_quantity_is_refused_by_the_web_as_by_ordering():
    assert ordering_value("0 5", bulk=True) is None
    assert web_value("0 5", bulk=True) is None


# Found by the property above: ordering's pattern used `\d`, which took "١" or "５" as digits.
def test_a_non_ascii_digit_is_refused_by_ordering_as_by_the_web():
    assert web_value("١", bulk=True) is None
    assert ordering_value("١", bulk=True) is None


# Found by the property above: the web refused « 0,5000000 », which ordering reads as 0,5.
def test_trailing_zeros_are_read_the_same_by_the_web_and_ordering():
    assert ordering_value("0,5000000", bulk=True) == Decimal("0.5")
    assert web_value("0,5000000", bulk=True) == Decimal("0.5")


# --- money -----------------------------------------------------------------------------------


def half_up(value: Fraction) -> int:
    """The SPEC's rule, computed exactly: the nearest cent, halves away from zero (amounts here
    are never negative)."""
    whole, rest = divmod(value, 1)
    return int(whole) + (1 if rest >= Fraction(1, 2) else 0)


@PROFILE
@given(quantity=st.one_of(bulk_quantities, piece_quantities.map(Decimal)), price=prices)
@example(quantity=Decimal("0.5"), price=1485)  # SPEC: 0.5 × 14,85 € = 7,43 €
@example(quantity=Decimal("0.001"), price=500)  # exactly half a cent: up
@example(quantity=Decimal("0.003"), price=4835)  # 14.505 → 15
def test_a_line_total_is_quantity_times_price_rounded_half_up(quantity, price):
    cents = ordering.line_total_cents(quantity, price)
    exact = Fraction(quantity) * price
    assert cents == half_up(exact)
    assert abs(Fraction(cents) - exact) <= Fraction(1, 2)
    # The same quantity written with trailing zeros (as Postgres numeric(10,3) returns it).
    assert ordering.line_total_cents(quantity.quantize(MILLI), price) == cents


def test_the_tutorial_cart_totals_nine_sixty_eight():
    lines = [(Decimal(1), 225), (Decimal("0.5"), 1485)]
    total = sum(ordering.line_total_cents(q, p) for q, p in lines)
    assert total == 968
    assert formatting.plain_total(total) == "9.68"
    assert formatting.money(total) == "9,68 €"


def read_amount(text: str) -> int:
    """Cents back from any of the ways amounts are shown (« 1 234,56 € », « €1,234.56 »,
    « 1.234,56 € », « 9.68 »)."""
    body = text.replace("€", "").strip()
    negative = body.startswith("-")
    body = body.removeprefix("-")
    match = re.fullmatch(r"([0-9 .,]*?)[.,]([0-9]{2})", body)
    assert match is not None, text
    units = re.sub(r"[ .,]", "", match.group(1))
    cents = int(units) * 100 + int(match.group(2))
    return -cents if negative else cents


@PROFILE
@given(cents=st.integers(-(10**9), 10**9))
@example(cents=-153)
@example(cents=968)
@example(cents=5)
def test_every_way_of_showing_an_amount_reads_back_to_its_cents(cents):
    shown = [
        formatting.money(cents, "fr"),
        formatting.money(cents, "en"),
        formatting.money(cents, "de"),
        formatting.plain_total(cents),
        ordering.euros(cents),
    ]
    for text in shown:
        assert read_amount(text) == cents, text
    # French pages and ordering's documents agree below a thousand euros (ordering's `euros` does
    # not group thousands; both read back the same, checked above).
    if abs(cents) < 100_000:
        assert ordering.euros(cents) == formatting.money(cents, "fr")


# --- events ----------------------------------------------------------------------------------

moments = st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2100, 1, 1),
    # Fixed offsets: a zone's local time in a DST gap or fold never compares equal to itself in
    # another zone (PEP 495), which says nothing about the events. The services send UTC.
    timezones=st.just(UTC)
    | st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m))),
)


def field_strategy(annotation: object) -> st.SearchStrategy[object]:
    """Values for a contract field; times are always aware (the services only send aware ones)."""
    if annotation is datetime:
        return moments
    origin = get_origin(annotation)
    if origin in (Union, UnionType):
        return st.one_of([field_strategy(arg) for arg in get_args(annotation)])
    if annotation is NoneType:
        return st.none()
    if origin is list:
        (item,) = get_args(annotation)
        if get_origin(item) is Literal:  # consented_fields: distinct values, as the API checks
            return st.lists(st.sampled_from(get_args(item)), unique=True, max_size=3)
        return st.lists(field_strategy(item), max_size=3)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return instances(annotation)
    return st.from_type(annotation)  # type: ignore[arg-type]


def instances(model: type[BaseModel]) -> st.SearchStrategy[BaseModel]:
    fields = {name: field_strategy(f.annotation) for name, f in model.model_fields.items()}
    return st.builds(model, **fields)


@pytest.mark.parametrize("routing_key", sorted(EVENT_CONTRACTS))
def test_every_event_survives_the_outbox_and_a_consumer(routing_key):
    model = EVENT_CONTRACTS[routing_key]

    @settings(PROFILE, max_examples=60)
    @given(data=instances(model), group_id=st.uuids() | st.none())
    def round_trip(data, group_id):
        sent = new_event(routing_key, "/test", data, subject="s", group_id=group_id)
        # What the outbox stores and the relay publishes (shared/outbox.py) ...
        body = json.dumps(sent.model_dump(mode="json", exclude_none=True), ensure_ascii=False)
        # ... and what a consumer does with the bytes (shared/amqp.py, Consumer._parse).
        received = CloudEvent.model_validate(json.loads(body.encode()))
        assert received.id == sent.id and received.type == routing_key
        assert received.groupid == (None if group_id is None else str(group_id))
        assert model.model_validate(received.data) == data
        assert received.data == data.model_dump(mode="json")

    round_trip()
