"""`make bench` reports the burst whose ratio to the bare SQL is the median of its three."""

from collections import Counter
from dataclasses import dataclass

from tests.load.bench import BURSTS, Bench, median_burst
from tests.load.common import Run, RushResult
from tests.load.infra import Infra


@dataclass(frozen=True)
class _Burst(RushResult):
    @property
    def healthy(self) -> bool:
        return True


def _burst(validations: int, bare_rate: float | None) -> _Burst:
    return _Burst(10, Run(1.0, [0.01] * validations, Counter({201: validations})), bare_rate)


async def test_the_median_burst_and_every_ratio_in_the_order_measured():
    assert BURSTS == 3
    bursts = iter([_burst(61, 100.0), _burst(48, 100.0), _burst(55, 100.0)])

    async def next_burst() -> _Burst:
        return next(bursts)

    median = await median_burst(Bench(Infra.from_env()), "rush", next_burst)

    assert median is not None
    chosen, every_ratio = median
    assert chosen.percent_of_bare_sql == 55.0
    assert every_ratio == "3 bursts: 61, 48, 55 %"


async def test_no_median_when_a_burst_failed():
    bursts = iter([_burst(61, 100.0), None, _burst(55, 100.0)])

    async def next_burst() -> _Burst:
        burst = next(bursts)
        if burst is None:
            raise RuntimeError("the service did not start")
        return burst

    assert await median_burst(Bench(Infra.from_env()), "rush", next_burst) is None
