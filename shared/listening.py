"""LISTEN for a Postgres notification, for as long as a process runs (outbox relay, revocations).

The connection is a dedicated one: a pooled connection would be UNLISTENed on release. When it is
lost, the listener logs the failure, waits a moment and connects again.
"""

import asyncio
import contextlib
from collections.abc import Callable

import asyncpg

from shared.logging import get_logger

log = get_logger(__name__)
RECONNECT_SECONDS = 2.0


async def listen_to(
    dsn: str,
    schema: str,
    topic: str,
    notified: Callable[[], None],
    *,
    error: Callable[[Exception], str] = repr,
    running: Callable[[], bool] = lambda: True,
    catch_up: bool = False,
) -> None:
    """Call `notified` on every notification on the channel `<schema>_<topic>` (what the
    schema's triggers send, e.g. `ordering_outbox`) while `running()`.

    `catch_up`: call it too each time listening (re)starts, for what was sent while not
    listening. A failure is logged as the warning `<topic>_listen_failed` (with `schema` and
    `error=error(exc)`).
    """
    channel = f"{schema}_{topic}"
    while running():
        conn: asyncpg.Connection | None = None
        try:
            conn = await asyncpg.connect(dsn)
            lost = asyncio.Event()
            conn.add_termination_listener(lambda *_, lost=lost: lost.set())
            await conn.add_listener(channel, lambda *_: notified())
            if catch_up:
                notified()
            await lost.wait()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning(f"{topic}_listen_failed", schema=schema, error=error(exc))
            await asyncio.sleep(RECONNECT_SECONDS)
        finally:
            if conn is not None:
                with contextlib.suppress(Exception):
                    await conn.close()
