"""A TCP proxy a fault test controls: on `freeze()` it stops passing on what clients send (the
upstream server never gets it) while still forwarding the other way, and it keeps reading from
the client so that it notices a client killed with `kill -9` and drops the upstream connection
then — as the network would once the process is gone, without delivering what it held."""

import asyncio
import contextlib
from dataclasses import dataclass, field

from tests.support.tcp_proxy import open_upstream, until_one_ends


@dataclass(eq=False)  # hashed by identity: kept in a set
class _Link:
    client: asyncio.StreamWriter
    upstream: asyncio.StreamWriter
    held: list[bytes] = field(default_factory=list)


class FreezeProxy:
    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream_host = upstream_host
        self.upstream_port = upstream_port
        self.port = 0
        self.connections = 0
        self.held_bytes = 0  # what clients sent while frozen and the upstream never got
        self._frozen = False
        self._server: asyncio.Server | None = None
        self._links: set[_Link] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    def freeze(self) -> None:
        """From now on, bytes from clients are held back (the server side keeps talking)."""
        self._frozen = True

    def thaw(self) -> None:
        """Pass on what was held, in order, and forward normally again."""
        self._frozen = False
        for link in self._links:
            for chunk in link.held:
                link.upstream.write(chunk)
            link.held.clear()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for link in list(self._links):
            link.client.transport.abort()
            link.upstream.transport.abort()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            upstream = await open_upstream(self.upstream_host, self.upstream_port, writer)
            if upstream is None:
                return
            up_reader, up_writer = upstream
            self.connections += 1
            link = _Link(writer, up_writer)
            self._links.add(link)
            try:
                await until_one_ends(self._from_client(reader, link), self._pipe(up_reader, writer))
            finally:
                self._links.discard(link)
                # Abort, not close: what was held back must never reach the server.
                link.held.clear()
                up_writer.transport.abort()
                writer.transport.abort()
        finally:
            if task is not None:
                self._tasks.discard(task)

    async def _from_client(self, reader: asyncio.StreamReader, link: _Link) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65536):
                if self._frozen:
                    link.held.append(data)
                    self.held_bytes += len(data)
                    continue
                link.upstream.write(data)
                await link.upstream.drain()

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
