"""`python -m services.notifications seed`: notifications has no demo data of its own. Its tables
fill from the other services' events (distributions, orders, pairings) once they are seeded and
their relays publish; `seed` migrates the schema (shared.runtime.main) and writes nothing."""

from services.notifications.settings import NotificationsSettings


async def seed_demo(settings: NotificationsSettings) -> None:
    """Nothing to write: every row here comes from an event or from a mail being sent."""
    del settings  # the same signature as every service's seed_demo
