"""The tests' SMTP server: a real aiosmtpd server on a port of its own, that a test can stop and
start again (the sender's retries), and the messages it received."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.support.processes import free_port


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes


class SmtpServer:
    """A real SMTP server (aiosmtpd) that can be started and stopped on a fixed port."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.messages: list[Received] = []
        self._server: asyncio.Server | None = None
        self._changed = asyncio.Condition()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        async with self._changed:
            self.messages.append(
                Received(
                    str(envelope.mail_from),
                    list(envelope.rcpt_tos),
                    bytes(envelope.original_content or b""),
                )
            )
            self._changed.notify_all()
        return "250 OK"

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: SMTP(self, hostname="test-smtp"), "127.0.0.1", self.port, reuse_address=True
        )

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)
            self._server = None

    async def wait_for(self, count: int, seconds: float = 20.0) -> list[Received]:
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: len(self.messages) >= count), seconds
            )
        return list(self.messages)

    async def settle(self, expected: int, quiet: float = 1.5) -> list[Received]:
        """Wait for `expected` messages, then a while more for any extra one to show up."""
        await self.wait_for(expected)
        await asyncio.sleep(quiet)
        return list(self.messages)


@pytest.fixture
async def smtp_server() -> AsyncIterator[SmtpServer]:
    server = SmtpServer(free_port())
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def stopped_smtp_server() -> AsyncIterator[SmtpServer]:
    """Not listening yet: connections to its port are refused until the test starts it."""
    server = SmtpServer(free_port())
    yield server
    await server.stop()
