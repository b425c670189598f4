"""Sampling profiles of the service processes while a load script drives them (`--profile PATH`):
py-spy (a dev dependency) attached to each process by pid for the measured part only, its raw
stacks written to `PATH.<process>.txt` (one `frame;frame;... count` line per distinct stack, the
input of flamegraph.pl and speedscope), and the functions with the most OWN samples printed —
where the process itself spends its time, not what it merely calls.

    .venv/bin/python -m tests.load.profiling PATH.ordering.txt [--top 15]

prints the same list from a file recorded earlier (e.g. `py-spy record --format raw -p <pid>`
attached by hand to an older version's process).

py-spy reads the target's memory with ptrace: root, or `kernel.yama.ptrace_scope` = 0, or
CAP_SYS_PTRACE in a container. It pauses the target at each sample for a consistent stack; when
that is refused it falls back to `--nonblocking` (no pause, a stack may be torn now and then).
"""

import argparse
import asyncio
import contextlib
import re
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

PY_SPY = Path(sys.executable).parent / "py-spy"
SAMPLES_PER_SECOND = 100
TOP = 15
# A raw line: `thread (idle);module (file.py:12);function (file.py:34) 17` — frames outermost
# first. A frame's line number is dropped so that a function's samples add up.
FRAME_LINE = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::\d+)?\)$")


@dataclass(frozen=True)
class Entry:
    function: str  # `name (path)`, the path shortened to the repository or site-packages
    own: int  # samples where it was the innermost frame
    share: float  # of all the samples, in %


def short_path(path: str) -> str:
    for marker in ("site-packages/", "/lib/python3.11/", "/work/main/", "/tmp/before/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def function_of(frame: str) -> str:
    found = FRAME_LINE.match(frame.strip())
    if found is None:
        return frame.strip()
    return f"{found['function']} ({short_path(found['file'])})"


@dataclass(frozen=True)
class Profile:
    samples: int  # where the process was working
    threads: int  # of them, in threads other than the main one (the event loop's)
    waiting: int  # left out: thread-pool threads waiting for a job (py-spy took them as busy)
    top: list[Entry]


# A thread-pool thread whose innermost Python frame is the pool's loop itself is blocked in
# `work_queue.get` (a job runs in deeper frames): a wait py-spy does not recognise as idle.
POOL_WAIT = "_worker (concurrent/futures/thread.py)"


def top_functions(raw: str, top: int = TOP) -> Profile:
    """The samples in a py-spy raw file, and the `top` functions by own samples."""
    own: Counter[str] = Counter()
    total = threads = waiting = 0
    for line in raw.splitlines():
        stack, _, text = line.rpartition(" ")
        if not text.isdigit():
            continue
        count = int(text)
        # An empty stack: the thread was active with no Python frame (py-spy's own count).
        innermost = function_of(stack.rsplit(";", 1)[-1]) if stack else "(no Python frame)"
        if innermost == POOL_WAIT:
            waiting += count
            continue
        total += count
        if stack.startswith("Thread._bootstrap "):
            threads += count
        own[innermost] += count
    entries = [Entry(f, n, 100 * n / total) for f, n in own.most_common(top)] if total else []
    return Profile(total, threads, waiting, entries)


def summary(label: str, raw: str, top: int = TOP) -> str:
    profile = top_functions(raw, top)
    lines = [
        f"profile {label}: {profile.samples} samples ({profile.threads} of them in other"
        f" threads than the main one; {profile.waiting} of thread-pool threads waiting for a"
        f" job left out), top {len(profile.top)} by own samples"
    ]
    lines += [f"  {e.share:5.1f} %  {e.own:6d}  {e.function}" for e in profile.top]
    return "\n".join(lines)


class Recording:
    """`py-spy record` of one process, until `stop` (SIGINT: py-spy writes its file and exits)."""

    def __init__(self, label: str, pid: int, output: Path) -> None:
        self.label, self.pid, self.output = label, pid, output
        self.process: asyncio.subprocess.Process | None = None
        self.mode = "blocking"

    async def _spawn(self, *extra: str) -> bool:
        """Started and sampling (py-spy says so), or refused."""
        self.process = await asyncio.create_subprocess_exec(
            str(PY_SPY),
            "record",
            "--format",
            "raw",
            "--rate",
            str(SAMPLES_PER_SECOND),
            "--pid",
            str(self.pid),
            "--output",
            str(self.output),
            *extra,
            # py-spy says on stdout when it samples, and why not on stderr: one pipe for both.
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        assert self.process.stdout is not None
        async for line in self.process.stdout:
            if b"Sampling process" in line:
                return True
            print(f"py-spy ({self.label}): {line.decode().rstrip()}", file=sys.stderr)
        await self.process.wait()
        return False

    async def start(self) -> None:
        if not await self._spawn():
            self.mode = "nonblocking"
            if not await self._spawn("--nonblocking"):
                raise RuntimeError(f"py-spy cannot attach to {self.label} (pid {self.pid})")

    async def stop(self) -> str:
        """Ends the recording; the top functions' text (empty if py-spy wrote nothing)."""
        if self.process is None:
            return ""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGINT)
        assert self.process.stdout is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.process.stdout.read(), 30)
        await self.process.wait()
        if not self.output.exists():
            return f"profile {self.label}: py-spy wrote no samples"
        return summary(f"{self.label} ({self.mode}) -> {self.output}", self.output.read_text())


def add_profile_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="PATH",
        help="py-spy on the service processes during the measured part: raw stacks in"
        " PATH.<process>.txt, the top functions by own samples printed",
    )


@asynccontextmanager
async def profiled(path: Path | None, pids: Mapping[str, int]) -> AsyncIterator[None]:
    """py-spy on each process of `pids` (label -> pid) for the body only, then the top own-sample
    functions of each printed; nothing at all when `path` is None."""
    if path is None:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    recordings = [
        Recording(label, pid, path.with_name(f"{path.name}.{label}.txt"))
        for label, pid in pids.items()
    ]
    try:
        await asyncio.wait_for(asyncio.gather(*(r.start() for r in recordings)), 60)
        yield
    finally:
        for text in await asyncio.gather(*(r.stop() for r in recordings)):
            print(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("raw", type=Path, nargs="+", help="py-spy --format raw files")
    parser.add_argument("--top", type=int, default=TOP)
    args = parser.parse_args()
    for raw in args.raw:
        print(summary(str(raw), raw.read_text(), args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
