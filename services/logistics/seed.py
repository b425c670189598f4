"""Demo data: distributions and slots arrive from ordering's events; this only applies the
tutorial's rule « 3 personnes sur le créneau de 16h45 » to the demo groups' known slots."""

from zoneinfo import ZoneInfo

from services.logistics.repository import slots as slot_repo
from services.logistics.settings import LogisticsSettings
from shared.db import connect
from shared.demo import DEMO_GROUPS

PARIS = ZoneInfo("Europe/Paris")


async def seed_demo(settings: LogisticsSettings) -> None:
    """Idempotent: set capacity 3 at 16:45 (Paris) where no booking exceeds it and no override
    was set yet."""
    conn = await connect(settings.database_url, "logistics")
    try:
        await slot_repo.set_demo_capacity(conn, [g.id for g in DEMO_GROUPS])
    finally:
        await conn.close()
