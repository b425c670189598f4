"""`--replicas N`: a service's API as N `api` processes plus one `worker` behind HAProxy, the way a
deployment uses more than one core (docs/load-balancer.md, docs/deploying.md) — instead of one
`all` process addressed directly, the scripts' default. HAProxy runs with the configuration
docs/load-balancer.md recommends (tests/support/haproxy.py: leastconn, health checks on /readyz,
retries only where a request cannot have been applied, maxconn within `ulimit -n`).

Also the rush scripts' shared options and `main` (`add_rush_options`, `rush_main`).
`--replicas 1 2` runs the same script once per count, one after the other, on a fresh database
each time with the same members, and prints how the rate grows.
"""

import argparse
import asyncio
import tempfile
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from tests.load.common import RushResult, add_rate_options, arrivals
from tests.load.infra import Processes, service_processes
from tests.load.profiling import add_profile_option
from tests.support import haproxy
from tests.support.processes import free_port


def add_replicas_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--replicas",
        type=int,
        nargs="+",
        metavar="N",
        help="N `api` processes and one `worker` behind HAProxy (default: one `all` process,"
        " no load balancer); several counts: one run per count, then how the rate grows",
    )


def roles(replicas: int | None) -> list[str]:
    return ["all"] if replicas is None else ["api"] * replicas + ["worker"]


def describe(name: str, replicas: int | None) -> str:
    if replicas is None:
        return f"processes: services.{name} all (no load balancer)"
    return (
        f"processes: {replicas} services.{name} api + 1 worker behind HAProxy"
        f" (leastconn, maxconn {haproxy.max_connections()})"
    )


@asynccontextmanager
async def serving(name: str, env: dict[str, str], replicas: int | None) -> AsyncIterator[Processes]:
    """The service's processes for `replicas`; with replicas, `base_url` is HAProxy's frontend
    once every replica is UP in its health checks."""
    async with service_processes(name, env, roles(replicas)) as processes:
        if replicas is None:
            yield processes
            return
        if not haproxy.available():
            raise RuntimeError(f"--replicas needs HAProxy at {haproxy.HAPROXY}")
        servers = {label: int(url.rpartition(":")[2]) for label, url in processes.api_urls.items()}
        balancer = haproxy.HAProxy(
            Path(tempfile.mkdtemp(prefix="vrac-load-haproxy-")),
            [haproxy.Backend(name, free_port(), servers)],
        )
        balancer.start()
        try:
            await balancer.wait_all_up()
            yield Processes(balancer.url(name), processes.urls, processes.pids)
        finally:
            balancer.stop()
            failed = haproxy.summarize_log(balancer.log_lines()).failed
            if failed:
                print(f"HAProxy: {len(failed)} failed requests, first: {failed[0]}")


def add_rush_options(parser: argparse.ArgumentParser, what: str) -> None:
    """What both rush scripts take beside their own: `--rate` (open loop), `--replicas`,
    `--profile`."""
    add_rate_options(parser, what)
    add_replicas_option(parser)
    add_profile_option(parser)


def rush_main(
    args: argparse.Namespace,
    unit: str,
    one_run: Callable[[int, int | None, Path | None], Coroutine[None, None, RushResult]],
) -> int:
    """A rush script's `main` once its options are parsed: `one_run(members, replicas, profile)`
    once per replica count (`--replicas`, or the default single `all` process), then the growth
    line when there are several; the exit status (0: every run's correctness figures hold)."""
    members = (
        args.members if args.rate is None else arrivals(args.rate, args.duration, args.requests)
    )
    counts: list[int | None] = args.replicas or [None]
    results: list[tuple[int | None, RushResult]] = []
    for replicas in counts:
        profile = profile_for(args.profile, replicas, len(counts))
        results.append((replicas, asyncio.run(one_run(members, replicas, profile))))
    if len(results) > 1:
        print(growth(results, unit))
    return 0 if all(result.healthy for _, result in results) else 1


def profile_for(profile: Path | None, replicas: int | None, runs: int) -> Path | None:
    """One profile per run when several replica counts run in turn (`PATH.2r.ordering-api1.txt`)."""
    if profile is None or runs == 1:
        return profile
    return profile.with_name(f"{profile.name}.{replicas or 1}r")


def growth(results: Sequence[tuple[int | None, RushResult]], unit: str) -> str:
    """How the rate grows with the replicas, against the first count run."""
    first = results[0][1].run.rate
    parts = []
    for replicas, result in results:
        share = result.percent_of_bare_sql
        ratio = f", {share:.0f} % of bare SQL" if share is not None else ""
        parts.append(
            f"{replicas or 1} → {result.run.rate:.0f} {unit}"
            f" (×{result.run.rate / first:.2f}{ratio}, p99 {result.run.latency.p99:.0f} ms)"
        )
    return "replicas: " + "; ".join(parts)
