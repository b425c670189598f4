"""A private RabbitMQ node for the fault tests: its own name, ports, data, logs and Erlang
cookie under a temporary directory, started in the foreground so the test can `kill -9` it by
process group and start it again on the same data directory and ports.

The machine's own broker and its epmd are never touched: epmd is shared by every node on the
machine (our node registers with it, and epmd forgets the node when its beam process dies)."""

import asyncio
import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import time
import uuid
from pathlib import Path

from tests.support.infra import unavailable
from tests.support.processes import free_port

RABBITMQ_BIN = Path("/usr/lib/rabbitmq/bin")


def rabbitmq_server() -> str | None:
    """The server script, run directly (Debian's /usr/sbin wrapper would switch user)."""
    direct = RABBITMQ_BIN / "rabbitmq-server"
    if direct.exists():
        return str(direct)
    return shutil.which("rabbitmq-server")


def require_rabbitmq_server() -> str:
    """The server script, or skip (fail under REQUIRE_INFRA=1, as CI runs)."""
    found = rabbitmq_server()
    if found is None:
        unavailable("rabbitmq-server missing (apt-get install -y rabbitmq-server)")
    return found


class RabbitNode:
    """One node: `start()` / `kill()` / `start()` again keeps its data, ports and name."""

    def __init__(self, base: Path, server: str) -> None:
        self.base = base
        self.server = server
        self.name = f"vractest-{uuid.uuid4().hex[:8]}@localhost"
        self.port = free_port()
        self.dist_port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.start_seconds: list[float] = []
        base.mkdir(parents=True, exist_ok=True)
        cookie = base / ".erlang.cookie"
        cookie.write_text(secrets.token_hex(16))
        cookie.chmod(0o400)
        (base / "enabled_plugins").write_text("[].\n")
        (base / "rabbitmq-env.conf").write_text("")
        # No management listener (no plugin enabled); AMQP on loopback only.
        (base / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = 127.0.0.1:{self.port}\n"
            "disk_free_limit.absolute = 10MB\n"
            "log.console = false\n"
            "log.file.level = warning\n"
        )

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RABBITMQ_")}
        env.update(
            {
                "HOME": str(self.base),
                "RABBITMQ_NODENAME": self.name,
                "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
                "RABBITMQ_NODE_PORT": str(self.port),
                "RABBITMQ_DIST_PORT": str(self.dist_port),
                # Our own (empty) env file: the machine's sets NODENAME for its own broker.
                "RABBITMQ_CONF_ENV_FILE": str(self.base / "rabbitmq-env.conf"),
                "RABBITMQ_CONFIG_FILE": str(self.base / "rabbitmq.conf"),
                "RABBITMQ_ADVANCED_CONFIG_FILE": str(self.base / "advanced.config"),
                "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.base / "enabled_plugins"),
                "RABBITMQ_MNESIA_BASE": str(self.base / "mnesia"),
                "RABBITMQ_LOG_BASE": str(self.base / "log"),
                "RABBITMQ_PID_FILE": str(self.base / "node.pid"),
                "RABBITMQ_PLUGINS_EXPAND_DIR": str(self.base / "plugins-expand"),
                "RABBITMQ_FEATURE_FLAGS_FILE": str(self.base / "feature_flags"),
            }
        )
        return env

    def ctl(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(RABBITMQ_BIN / "rabbitmqctl"), "-n", self.name, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.base,
        )

    async def start(self, seconds: float = 90) -> float:
        """Start in the foreground, wait for the AMQP port and `await_startup`; the seconds it
        took."""
        began = time.monotonic()
        process = self._spawn()
        deadline = began + seconds
        while not await self._accepts():
            if process.poll() is not None:
                raise RuntimeError(f"{self.name} exited {process.returncode}\n{self.tail()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name}: port {self.port} closed after {seconds} s")
            await asyncio.sleep(0.2)
        done = await asyncio.to_thread(
            self.ctl, "await_startup", "--timeout", str(int(seconds)), timeout=seconds + 10
        )
        if done.returncode != 0:
            raise RuntimeError(f"await_startup failed: {done.stdout}{done.stderr}\n{self.tail()}")
        elapsed = time.monotonic() - began
        self.start_seconds.append(elapsed)
        return elapsed

    def _spawn(self) -> "subprocess.Popen[bytes]":
        # Its own session: `kill()` signals this process group and nothing else.
        self.starts += 1
        with (self.base / f"console.{self.starts}.log").open("wb") as console:
            self.process = subprocess.Popen(
                [self.server],
                env=self.env,
                cwd=self.base,
                stdout=console,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self.process

    async def _accepts(self) -> bool:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", self.port)
        except OSError:
            return False
        writer.close()
        return True

    def kill(self) -> None:
        """`kill -9` our process group (the script and its beam.smp), never anything else."""
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def tail(self, lines: int = 40) -> str:
        out: list[str] = []
        for path in sorted(self.base.glob("console.*.log")) + sorted(self.base.glob("log/*.log")):
            out.append(f"--- {path.name} ---")
            out += path.read_text(errors="replace").splitlines()[-lines:]
        return "\n".join(out)
