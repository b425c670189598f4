"""Demo data: distributions and slots arrive from ordering's events; this only applies the
tutorial's rule « 3 personnes sur le créneau de 16h45 » to the demo groups' known slots."""

from zoneinfo import ZoneInfo

from services.logistics.settings import LogisticsSettings
from shared.db import connect
from shared.demo import DEMO_GROUPS

PARIS = ZoneInfo("Europe/Paris")


async def seed_demo(settings: LogisticsSettings) -> None:
    """Idempotent: set capacity 3 at 16:45 (Paris) where no booking exceeds it and no override
    was set yet."""
    conn = await connect(settings.database_url, "logistics")
    try:
        await conn.execute(
            "UPDATE slots s SET capacity = 3, capacity_override = 3 FROM distributions d"
            " WHERE d.id = s.distribution_id AND d.group_id = ANY($1::uuid[])"
            " AND s.capacity_override IS NULL AND s.booked <= 3"
            " AND to_char(s.starts_at AT TIME ZONE 'Europe/Paris', 'HH24:MI') = '16:45'",
            [g.id for g in DEMO_GROUPS],
        )
    finally:
        await conn.close()
