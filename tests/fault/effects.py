"""How the kill and poison scenarios score what their consumers did: each effect (an inbox row,
an order row, a queued mail, a mail sent…) counted in the databases against the number of times
it should have happened."""

from collections.abc import Mapping


def lost_and_duplicated(effects: Mapping[str, int], expected: int = 1) -> tuple[int, int]:
    """(lost, duplicated): the times the effects fell short of `expected` each, and the times
    they went past it, summed over the effects."""
    lost = sum(max(0, expected - n) for n in effects.values())
    duplicated = sum(max(0, n - expected) for n in effects.values())
    return lost, duplicated
