"""HAProxy (Debian's /usr/sbin/haproxy) in front of service replicas, for the fault tests.

The configuration is the one docs/load-balancer.md recommends for production, with addresses
and ports on the loopback: health checks on GET /readyz, a replica taken out at its first
failed check, and requests retried on another replica only when they cannot have reached a
process (the connection failed, or was closed without a byte of answer).
"""

import asyncio
import contextlib
import csv
import io
import re
import resource
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

HAPROXY = "/usr/sbin/haproxy"
# Health checks: every CHECK_INTER_MS, DOWN at the first failure (FALL), UP at the first
# success (RISE). A draining replica is out within CHECK_INTER_MS + the check's own duration,
# which is why the replicas' drain period must be longer (the tests use 2 s, production 5 s).
CHECK_INTER_MS = 500
FALL = 1
RISE = 1


@dataclass
class Backend:
    """One frontend (a port on the loopback) and its backend of replicas."""

    name: str
    port: int
    servers: dict[str, int]  # server name -> the replica's port


def max_connections() -> int:
    """HAProxy's maxconn within this process' open-files limit.

    HAProxy needs about two descriptors per connection and refuses to start (exit 1, "Cannot
    raise FD limit") when the hard limit is below that; CI machines may allow only 1024.
    """
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard == resource.RLIM_INFINITY:
        return 4096
    return max(64, min(4096, (hard - 64) // 2))


def render_config(backends: list[Backend], socket: Path) -> str:
    """haproxy.cfg for these frontends/backends; `socket` is the admin (stats) socket."""
    lines = [
        "global",
        "    log stdout format raw local0 info",
        f"    stats socket {socket} mode 600 level admin",
        f"    maxconn {max_connections()}",
        "",
        "defaults",
        "    mode http",
        "    log global",
        "    option httplog",
        "    option dontlognull",
        # The replica must accept within 1 s; a refused connection is an immediate failure.
        "    timeout connect 1s",
        # Clients (and the web's own HTTP client) keep idle connections up to 15 s (aiohttp's
        # default): the edge must keep them longer, or a client may reuse a connection the
        # edge has just closed and see it reset.
        "    timeout client 60s",
        "    timeout http-keep-alive 30s",
        "    timeout http-request 10s",
        "    timeout server 30s",
        "    timeout queue 10s",
        "    timeout check 2s",
        # Retry on another replica (redispatch at every retry) only when the request cannot
        # have been handled: connection refused/failed, or closed with no byte of answer (the
        # race between a replica closing an idle keep-alive connection and the edge reusing
        # it). Never on a response timeout: a slow POST may have been applied.
        "    retries 3",
        "    option redispatch 1",
        "    retry-on conn-failure empty-response",
        "    option httpchk GET /readyz",
        "    http-check expect status 200",
        f"    default-server inter {CHECK_INTER_MS}ms fall {FALL} rise {RISE}",
        "",
    ]
    for backend in backends:
        lines += [
            f"frontend {backend.name}_front",
            f"    bind 127.0.0.1:{backend.port}",
            f"    default_backend {backend.name}",
            "",
            f"backend {backend.name}",
            "    balance leastconn",
            # An empty response could also come from a replica that died mid-request: resend
            # only what is safe to apply twice (safe or idempotent methods, or a request that
            # carries an Idempotency-Key, whose replay returns the first answer).
            "    http-request disable-l7-retry if !{ method GET HEAD OPTIONS PUT DELETE }"
            " !{ req.hdr(idempotency-key) -m found }",
        ]
        lines += [
            f"    server {server} 127.0.0.1:{port} check"
            for server, port in backend.servers.items()
        ]
        lines.append("")
    return "\n".join(lines)


@dataclass
class HAProxy:
    """A running haproxy (foreground, `-db`), its configuration and log in `directory`."""

    directory: Path
    backends: list[Backend]
    process: "subprocess.Popen[bytes] | None" = None
    _log: io.BufferedWriter | None = field(default=None, repr=False)

    @property
    def socket(self) -> Path:
        return self.directory / "admin.sock"

    @property
    def log_path(self) -> Path:
        return self.directory / "haproxy.log"

    @property
    def config_path(self) -> Path:
        return self.directory / "haproxy.cfg"

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.by_name(name).port}"

    def by_name(self, name: str) -> Backend:
        return next(b for b in self.backends if b.name == name)

    def start(self) -> None:
        self.config_path.write_text(render_config(self.backends, self.socket))
        check = subprocess.run(
            [HAPROXY, "-c", "-f", str(self.config_path)], capture_output=True, text=True
        )
        if check.returncode != 0:
            raise RuntimeError(f"haproxy -c: {check.stdout}{check.stderr}")
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [HAPROXY, "-f", str(self.config_path), "-db"],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    async def command(self, text: str) -> str:
        """One command on the admin socket (`show stat`, `show info`…)."""
        reader, writer = await asyncio.open_unix_connection(str(self.socket))
        try:
            writer.write(text.encode() + b"\n")
            await writer.drain()
            return (await reader.read()).decode()
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    async def server_states(self) -> dict[tuple[str, str], str]:
        """(backend, server) -> status as HAProxy sees it: UP, DOWN, MAINT, `UP 1/2`…"""
        text = (await self.command("show stat")).lstrip("# ")
        states: dict[tuple[str, str], str] = {}
        for row in csv.DictReader(io.StringIO(text)):
            if row.get("svname") not in (None, "FRONTEND", "BACKEND"):
                states[(row["pxname"], row["svname"])] = row["status"]
        return states

    async def wait_for(self, backend: str, server: str, status: str, seconds: float = 15) -> float:
        """Until HAProxy reports `server` of `backend` in `status` (UP/DOWN); seconds waited."""
        started = time.monotonic()
        deadline = started + seconds
        last = "?"
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                tail = "\n".join(self.log_lines()[-20:])
                raise RuntimeError(f"haproxy exited with {self.process.returncode}:\n{tail}")
            with contextlib.suppress(OSError):
                last = (await self.server_states()).get((backend, server), "?")
                if last == status:
                    return time.monotonic() - started
            await asyncio.sleep(0.05)
        raise TimeoutError(
            f"haproxy: {backend}/{server} is {last}, not {status}, after {seconds} s"
        )

    async def wait_all_up(self, seconds: float = 15) -> None:
        for backend in self.backends:
            for server in backend.servers:
                await self.wait_for(backend.name, server, "UP", seconds)

    def log_lines(self) -> list[str]:
        if not self.log_path.exists():
            return []
        return self.log_path.read_text(errors="replace").splitlines()


# `option httplog`: ... frontend backend/server Tq/Tw/Tc/Tr/Ta status bytes - - TERM
# actconn/feconn/beconn/srv_conn/retries queues "request"
HTTPLOG = re.compile(
    r" (?P<frontend>\S+) (?P<backend>[^/\s]+)/(?P<server>\S+)"
    r" (?P<timers>-?\d+/-?\d+/-?\d+/-?\d+/\+?-?\d+) (?P<status>-?\d+) \+?\d+ \S+ \S+"
    r" (?P<term>\S{4}) \d+/\d+/\d+/\d+/(?P<retries>\+?\d+) \d+/\d+ \"(?P<request>[^\"]*)\""
)


@dataclass
class LogSummary:
    requests: int = 0
    retried: int = 0  # requests HAProxy sent more than once (conn-failure, empty-response)
    redispatched: int = 0
    failed: list[str] = field(default_factory=list)  # status >= 500 or abnormal termination
    events: list[str] = field(default_factory=list)  # health check transitions, warnings


def summarize_log(lines: list[str]) -> LogSummary:
    """Requests, retries and failures from HAProxy's log (httplog format), plus its own events
    (`Server x/y is DOWN`…)."""
    summary = LogSummary()
    for line in lines:
        found = HTTPLOG.search(line)
        if found is None:
            if line.strip():
                summary.events.append(line)
            continue
        summary.requests += 1
        retries = found["retries"]
        if retries.startswith("+"):
            summary.redispatched += 1
        if int(retries.lstrip("+")) > 0:
            summary.retried += 1
        status = int(found["status"])
        # Termination state: first char is who ended the session (`-`: normal end).
        if status >= 500 or status < 0 or found["term"][0] not in "-":
            summary.failed.append(line)
    return summary


def available() -> bool:
    return shutil.which(HAPROXY) is not None or Path(HAPROXY).exists()
