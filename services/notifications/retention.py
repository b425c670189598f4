"""How long notifications keeps its mail log: a mail sent or dropped is kept MAIL_RETENTION_DAYS
(the member sees it in « Mes données », support can answer "did I get the mail?"), then goes;
the "to every member" jobs go with it. Pending mail is never purged (it has yet to be sent)."""

from services.notifications.repository import personal as repo
from shared.db import Database
from shared.jobs import periodic
from shared.logging import get_logger

log = get_logger(__name__)
MAIL_RETENTION_DAYS = 90
PURGE_SECONDS = 3600.0


async def purge_old_mail(db: Database) -> None:
    async with db.transaction() as conn:
        gone = await repo.purge_old_mail(conn, MAIL_RETENTION_DAYS)
    if gone:
        log.info("old_mail_purged", rows=gone)


mail_retention_job = periodic(purge_old_mail, PURGE_SECONDS, "old_mail_purge_failed")
