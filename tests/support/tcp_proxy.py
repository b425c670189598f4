"""A small TCP proxy the fault tests control: between the services and the broker.

Modes: `resume()` passes bytes through; `cut()` closes every open connection and refuses new
ones (the listening socket is closed: connection refused); `slow(seconds)` delays each chunk in
both directions; `stall()` keeps connections open but forwards nothing (a partition where the
packets are dropped: only heartbeats and timeouts can notice it)."""

import asyncio
import contextlib
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from tests.support.processes import free_port

CHUNK = 65536


async def open_upstream(
    host: str, port: int, client: asyncio.StreamWriter
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
    """A connection to the upstream server for a client just accepted; None when it refuses
    (the client's connection is aborted then, as if the upstream had refused it)."""
    try:
        return await asyncio.open_connection(host, port)
    except OSError:
        client.transport.abort()
        return None


async def until_one_ends(*pumps: Coroutine[Any, Any, None]) -> None:
    """Run the pumps of one connection; when one side ends, end the other: a half-open pair
    would hide the fault."""
    tasks = [asyncio.create_task(pump) for pump in pumps]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


@dataclass
class TcpProxy:
    upstream_host: str
    upstream_port: int
    port: int = field(default_factory=free_port)
    delay: float = 0.0
    connections_accepted: int = 0
    _server: asyncio.Server | None = None
    _open: set[asyncio.StreamWriter] = field(default_factory=set)
    _flowing: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def address(self) -> tuple[str, int]:
        return "127.0.0.1", self.port

    async def start(self) -> None:
        self._flowing.set()
        await self._listen()

    async def _listen(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(
                self._handle, "127.0.0.1", self.port, reuse_address=True
            )

    async def resume(self) -> None:
        """Pass bytes through again, without delay."""
        self.delay = 0.0
        self._flowing.set()
        await self._listen()

    async def cut(self) -> None:
        """Close every connection and refuse new ones until `resume()`."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._open):
            # An abort (RST), as when a link or a broker host goes away.
            writer.transport.abort()
        self._open.clear()

    async def slow(self, seconds: float) -> None:
        """Delay each chunk by `seconds` in both directions (new connections accepted)."""
        self.delay = seconds
        self._flowing.set()
        await self._listen()

    def stall(self) -> None:
        """Keep connections open, forward nothing until `resume()`."""
        self._flowing.clear()

    async def stop(self) -> None:
        await self.cut()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections_accepted += 1
        upstream = await open_upstream(self.upstream_host, self.upstream_port, writer)
        if upstream is None:
            return
        up_reader, up_writer = upstream
        self._open.update((writer, up_writer))
        try:
            await until_one_ends(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        finally:
            for w in (writer, up_writer):
                self._open.discard(w)
                w.transport.abort()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while True:
                data = await reader.read(CHUNK)
                if not data:
                    return
                if self.delay:
                    await asyncio.sleep(self.delay)
                await self._flowing.wait()
                if writer.transport.is_closing():
                    return
                writer.write(data)
                await writer.drain()
