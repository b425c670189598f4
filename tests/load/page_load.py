"""Member pages under load: the services the member pages call as real processes (accounts,
ordering, logistics, and the web) on a fresh database with the demo seed; members of « 3 Cocus »
sign up, validate an order and sign in through the web's log-in form; then each page is asked
`--requests` times with `--in-flight` at a time (closed loop, as that many browsers would):

    .venv/bin/python -m tests.load.page_load [--members 20] [--in-flight 10] [--requests 200]

Prints per page p50/p95/max, the bytes on the wire (the body as received, compressed or not) and
its Content-Encoding, and `/healthz` timed the same way in the same run (the floor: no call to
another service, no template). `--profile PATH`: py-spy on each service process while the
pages are timed (tests/load/profiling.py).
"""

import asyncio
import re
import sys
import tempfile
import time
import uuid
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from yarl import URL

from shared.demo import DEMO_GROUPS, demo_id
from tests.load.common import Answer, Latency, Run, closed_loop, script_parser, send, verdict
from tests.load.infra import Infra, event_topology, fresh_database, pool_env
from tests.load.profiling import add_profile_option, profiled
from tests.support.fault_stack import (
    SERVICE_SECRET,
    SERVICES,
    FaultStack,
    Member,
    log_in,
    validate_order,
    wait_until,
)

GROUP = DEMO_GROUPS[0]  # « 3 Cocus »: phone and address required, so members give both
PASSWORD = "un mot de passe solide"
# What a browser sends: the web may answer any of these.
ACCEPT_ENCODING = "gzip, deflate, br"
CSRF_FIELD = re.compile(rb'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class PageFigures:
    name: str
    path: str
    run: Run
    wire_bytes: float  # mean size of the body as received
    encodings: tuple[str, ...]  # Content-Encoding values seen ("" = none)
    html_bytes: float | None  # mean decoded size (None: an encoding this script cannot read)

    @property
    def latency(self) -> Latency:
        return self.run.latency

    @property
    def all_ok(self) -> bool:
        return self.run.errors(200) == 0

    @property
    def compressed(self) -> bool:
        return all(e in ("gzip", "deflate", "br", "zstd") for e in self.encodings)

    def line(self) -> str:
        encoding = ",".join(e or "none" for e in self.encodings)
        decoded = f", {self.html_bytes / 1024:.1f} KB decoded" if self.html_bytes else ""
        return (
            f"{self.name:<16} p50 {self.latency.p50:6.1f}  p95 {self.latency.p95:6.1f}"
            f"  max {self.latency.max:6.1f} ms  {self.wire_bytes / 1024:5.1f} KB on the wire"
            f" ({encoding}{decoded})  statuses {dict(sorted(self.run.statuses.items()))}"
        )


@dataclass(frozen=True)
class PageLoadResult:
    members: int
    in_flight: int
    pages: list[PageFigures]  # the member pages
    healthz: PageFigures

    @property
    def healthy(self) -> bool:
        return all(p.all_ok for p in [*self.pages, self.healthz])


@dataclass
class PlatformStack(FaultStack):
    """The fault scenarios' wiring of the API services plus the web pages; each service's own
    pool size unless `pool_max` (those scenarios cap it at 4 connections), opened whole at start
    (`pool_env`)."""

    pool_max: int | None = None

    def env(self, **extra: str) -> dict[str, str]:
        env = super().env(**extra)
        for name in SERVICES:
            env.update(pool_env(name.upper(), self.pool_max))
        return env

    async def start_platform(self) -> str:
        """Seeded; logistics started first (its queue must be bound before ordering relays the
        seed's distribution events, from which it cuts the slots), then accounts, ordering and
        the web; the web's base URL. Notifications is not on any member page's path: left out,
        it leaves the two cores to the pages."""
        logistics = self.process("logistics", "all")
        await asyncio.gather(self.seed("accounts", "ordering"), self.start(logistics))
        apis = [self.process("accounts", "all"), self.process("ordering", "all")]
        urls = {p.name: p.base for p in [logistics, *apis]}
        web = self.process(
            "web",
            "all",
            WEB_ACCOUNTS_URL=urls["accounts"],
            WEB_ORDERING_URL=urls["ordering"],
            WEB_LOGISTICS_URL=urls["logistics"],
            # As in production (templates not re-read), but plain cookies: the script speaks http.
            WEB_DEV_MODE="false",
            WEB_SECURE_COOKIES="false",
            WEB_CSRF_SECRET="load-csrf-secret",
            WEB_SERVICE_SECRET=SERVICE_SECRET,
            WEB_LOG_LEVEL="WARNING",
        )
        await self.start(*apis, web)
        return web.base

    def url(self, name: str) -> str:
        return next(p.base for p in self.processes if p.name == name)


async def new_member(accounts: str, ordering: str, index: int) -> Member:
    """Signs up to the group (phone and address given), validates an order through the API."""
    email = f"load-{index}-{uuid.uuid4().hex[:8]}@example.org"
    body = {
        "first_name": "Awa",
        "last_name": "Diallo",
        "email": email,
        "password": PASSWORD,
        "phone": "0606060606",
        "street": "2 place du Marché aux Cochons",
        "postcode": "31200",
        "city": "Toulouse",
        "group_id": str(GROUP.id),
    }
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{accounts}/v1/signup", json=body) as resp,
    ):
        assert resp.status == 202, await resp.text()
    member = await log_in(accounts, email, PASSWORD)
    await validate_order(ordering, GROUP.id, member)
    return member


async def web_log_in(web_url: str, email: str) -> str:
    """The log-in form, as a browser fills it; the Cookie header the member's pages then carry."""
    jar = aiohttp.CookieJar(unsafe=True)  # cookies of http://127.0.0.1
    async with aiohttp.ClientSession(cookie_jar=jar) as session:
        async with session.get(f"{web_url}/connexion") as resp:
            found = CSRF_FIELD.search(await resp.read())
            assert resp.status == 200 and found, resp.status
        form = {"csrf_token": found.group(1).decode(), "email": email, "password": PASSWORD}
        async with session.post(
            f"{web_url}/connexion", data={**form, "next": ""}, allow_redirects=False
        ) as resp:
            assert resp.status in (302, 303), await resp.text()
        cookies = jar.filter_cookies(URL(web_url))
    return "; ".join(f"{name}={morsel.value}" for name, morsel in cookies.items())


async def slots_cut(logistics: str, distribution: uuid.UUID, member: Member) -> None:
    """Until logistics has the distribution's slots (cut when ordering's seed events reach it),
    so that the pickup page is timed as members see it."""
    url = f"{logistics}/v1/groups/{GROUP.id}/distributions/{distribution}/slots"

    async def cut() -> bool:
        async with (
            aiohttp.ClientSession(headers=member.headers) as session,
            session.get(url) as resp,
        ):
            return resp.status == 200 and bool((await resp.json())["slots"])

    await wait_until(cut, 60, "logistics has the open distribution's slots", every=0.3)


def decoded_size(answer: Answer) -> int | None:
    if answer.encoding in ("", "identity"):
        return len(answer.body)
    if answer.encoding in ("gzip", "deflate"):
        return len(zlib.decompress(answer.body, zlib.MAX_WBITS | 32))
    return None


async def time_page(
    session: aiohttp.ClientSession,
    web_url: str,
    name: str,
    path: str,
    cookies: Sequence[str],
    requests: int,
    in_flight: int,
) -> PageFigures:
    """`requests` GETs of one page, `in_flight` at a time, member after member."""
    answers: list[Answer] = []

    async def get(index: int) -> int:
        headers = {"Accept-Encoding": ACCEPT_ENCODING}
        if cookies:
            headers["Cookie"] = cookies[index % len(cookies)]
        answer = await send(session, "GET", web_url + path, headers=headers, allow_redirects=False)
        answers.append(answer)
        return answer.status

    run = await closed_loop(requests, in_flight, get)
    sizes = [decoded_size(a) for a in answers]
    return PageFigures(
        name,
        path,
        run,
        wire_bytes=sum(len(a.body) for a in answers) / len(answers),
        encodings=tuple(sorted({a.encoding for a in answers})),
        html_bytes=None if None in sizes else sum(s or 0 for s in sizes) / len(sizes),
    )


def member_pages(slug: str, distribution: uuid.UUID) -> dict[str, str]:
    return {
        "order page": f"/g/{slug}/d/{distribution}",
        "pickup": f"/g/{slug}/d/{distribution}/retrait",
        "« Commandes »": f"/g/{slug}/commandes",
        "« Mon compte »": f"/g/{slug}/compte",
    }


async def run(
    infra: Infra,
    members: int = 20,
    in_flight: int = 10,
    requests: int = 200,
    profile: Path | None = None,
) -> PageLoadResult:
    logs = Path(tempfile.mkdtemp(prefix="vrac-page-load-"))
    async with (
        fresh_database(
            infra, "vrac_pages", migrated=["accounts", "ordering", "logistics", "notifications"]
        ) as database_url,
        event_topology(infra) as topology,
    ):
        stack = PlatformStack(
            database_url, infra.amqp_url, topology.name, logs, pool_max=infra.pool_max
        )
        try:
            began = time.monotonic()
            web_url = await stack.start_platform()
            accounts, ordering = stack.url("accounts"), stack.url("ordering")
            print(f"platform seeded and up in {time.monotonic() - began:.0f} s", file=sys.stderr)
            people = await asyncio.gather(
                *(new_member(accounts, ordering, i) for i in range(members))
            )
            cookies = await asyncio.gather(*(web_log_in(web_url, p.email) for p in people))
            open_distribution = demo_id("distribution", f"{GROUP.slug}:open")
            await slots_cut(stack.url("logistics"), open_distribution, people[0])
            print(f"members ready at {time.monotonic() - began:.0f} s", file=sys.stderr)
            connector = aiohttp.TCPConnector(limit=in_flight)
            pids = {p.label: p.process.pid for p in stack.processes if p.process is not None}
            async with (
                aiohttp.ClientSession(
                    connector=connector,
                    cookie_jar=aiohttp.DummyCookieJar(),
                    auto_decompress=False,
                ) as session,
                profiled(profile, pids),
            ):
                paths = member_pages(GROUP.slug, open_distribution)
                # One untimed load of each page per member first: the figures are the steady
                # state of members browsing, not the processes' first statements and renders.
                for path in paths.values():
                    await time_page(session, web_url, "", path, cookies, members, in_flight)
                pages = [
                    await time_page(session, web_url, name, path, cookies, requests, in_flight)
                    for name, path in paths.items()
                ]
                healthz = await time_page(
                    session, web_url, "/healthz", "/healthz", [], requests, in_flight
                )
        except Exception:
            print(stack.tails(), file=sys.stderr)
            raise
        finally:
            await stack.close()
    result = PageLoadResult(members, in_flight, pages, healthz)
    report(result)
    return result


def report(result: PageLoadResult) -> None:
    print(
        f"members: {result.members} signed in through the log-in form,"
        f" {result.in_flight} requests in flight, {result.healthz.run.requests} per page"
    )
    for page in [*result.pages, result.healthz]:
        print(page.line())
    print(verdict(result.healthy))


def main() -> int:
    parser = script_parser(__doc__)
    parser.add_argument("--members", type=int, default=20, help="members signed in")
    parser.add_argument("--in-flight", type=int, default=10, help="requests at a time")
    parser.add_argument("--requests", type=int, default=200, help="requests per page")
    add_profile_option(parser)
    args = parser.parse_args()
    result = asyncio.run(
        run(Infra.from_env(), args.members, args.in_flight, args.requests, args.profile)
    )
    return 0 if result.healthy else 1


if __name__ == "__main__":
    sys.exit(main())
