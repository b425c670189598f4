"""How long notifications keeps its mail log: a mail sent or dropped is kept MAIL_RETENTION_DAYS
(the member sees it in « Mes données », support can answer "did I get the mail?"), then goes;
the "to every member" jobs go with it. Pending mail is never purged (it has yet to be sent)."""

import asyncio
from typing import Any

from shared.db import Database
from shared.logging import get_logger

log = get_logger(__name__)
MAIL_RETENTION_DAYS = 90
PURGE_SECONDS = 3600.0


async def purge_old_mail(conn: Any, days: int = MAIL_RETENTION_DAYS) -> int:
    mail = await conn.fetchval(
        "WITH gone AS (DELETE FROM email_outbox WHERE status IN ('sent', 'dropped')"
        " AND coalesce(sent_at, created_at) < now() - make_interval(days => $1)"
        " RETURNING 1) SELECT count(*) FROM gone",
        days,
    )
    fanouts = await conn.fetchval(
        "WITH gone AS (DELETE FROM fanouts WHERE status = 'done'"
        " AND created_at < now() - make_interval(days => $1) RETURNING 1)"
        " SELECT count(*) FROM gone",
        days,
    )
    return int(mail) + int(fanouts)


async def mail_retention_job(db: Database) -> None:
    while True:
        try:
            async with db.transaction() as conn:
                gone = await purge_old_mail(conn)
            if gone:
                log.info("old_mail_purged", rows=gone)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("old_mail_purge_failed", error=repr(exc))
        await asyncio.sleep(PURGE_SECONDS)
