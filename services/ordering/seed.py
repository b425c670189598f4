"""Demo data of SPEC.md for the 4 demo groups: the tutorial's catalog and 3 distributions each.

Idempotent (fixed ids from shared.demo); goes through the use cases so the outbox carries the
`ordering.distribution.scheduled.v1` events other services build on.
"""

from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from services.ordering.distributions import schedule_distribution
from services.ordering.models import DistributionCreate, OfferedProduct
from services.ordering.repository import catalog as catalog_repo
from services.ordering.repository.distributions import db_now
from shared.db import Connection, Database, create_pool
from shared.demo import DEMO_GROUPS, DemoGroup, demo_id
from shared.settings import ServiceSettings

PARIS = ZoneInfo("Europe/Paris")
PIECE = "1 pièce"
# (name, unit label, price in cents, stock: None = unlimited)
AUTRES: list[tuple[str, str, int, Decimal | None]] = [
    ("Assouplissant 1,5L", PIECE, 220, None),
    ("Bicarbonate de soude 2kg", PIECE, 520, None),
    ("Crème de jour aloe vera Marilou Bio", PIECE, 285, None),
    ("Crème de jour à l'huile d'argan Marilou", PIECE, 445, None),
    ("Crème de nuit Marilou Bio", PIECE, 285, None),
    ("Dentifrice Fraise des bois", PIECE, 235, None),
    ("Eau micellaire 500mL", PIECE, 465, None),
    ("Gel Aloé Vera - 500mL", PIECE, 550, None),
    ("Lessive 1 L", "1 L", 225, None),
    ("Karité (beurre) - 120g", PIECE, 869, None),
    ("Faitout 5L", PIECE, 6050, Decimal(10)),
    ("Batterie de cuisine - 8 ustensiles TEFAL", PIECE, 3850, Decimal(0)),
]
VRAC: list[tuple[str, int]] = [
    ("Abricots bruns secs", 1023),
    ("Amandes avec peau", 1485),
    ("Amandes émondées", 1705),
    ("Amandes en poudre", 1595),
    ("Dattes", 622),
    ("Figues", 1100),
    ("Lentilles", 374),
    ("Pois cassés", 319),
    ("Pois chiches", 341),
    ("Raisins secs", 528),
]
PLACES = {
    "minguettes": ("Centre social Eugénie Cotton", "23 rue Georges Lyvet 69200 Venissieux"),
    "3-cocus": ("Centre social des Trois Cocus", "2 place du Marché aux Cochons 31200 Toulouse"),
    "bellefontaine": ("Centre social Bellefontaine", "1 allée de Bellefontaine 31100 Toulouse"),
    "soupetard": ("Centre social Soupetard", "63 chemin de Heredia 31500 Toulouse"),
}


def catalog() -> list[dict[str, Any]]:
    products = [
        {
            "name": name,
            "category": "Autres",
            "unit_label": unit,
            "unit_price_cents": price,
            "bulk": False,
            "stock": stock,
            "active": True,
        }
        for name, unit, price, stock in AUTRES
    ]
    products += [
        {
            "name": f"{name} - en vrac",
            "category": "Fruits & Légumes",
            "unit_label": "kg",
            "unit_price_cents": price,
            "bulk": True,
            "stock": None,
            "active": True,
        }
        for name, price in VRAC
    ]
    return products


def schedules(now: datetime) -> dict[str, dict[str, datetime]]:
    today = now.astimezone(PARIS).date()

    def window(day_offset: int, opens: datetime) -> dict[str, datetime]:
        day = today + timedelta(days=day_offset)
        return {
            "starts_at": datetime.combine(day, time(13, 0), PARIS),
            "ends_at": datetime.combine(day, time(20, 0), PARIS),
            "opens_at": opens,
            "closes_at": datetime.combine(day - timedelta(days=1), time(23, 59), PARIS),
        }

    return {
        "open": window(5, now - timedelta(days=2)),
        "upcoming": window(35, datetime.combine(today + timedelta(days=14), time(8, 0), PARIS)),
        "closed": window(-3, now - timedelta(days=20)),
    }


async def seed_group(conn: Connection, group: DemoGroup, now: datetime) -> None:
    ids = []
    for product in catalog():
        product_id = demo_id("product", f"{group.slug}:{product['name']}")
        await catalog_repo.insert_product(conn, product_id, group.id, **product)
        ids.append(product_id)
    place_name, place_address = PLACES.get(group.slug, PLACES["3-cocus"])
    for key, dates in schedules(now).items():
        await schedule_distribution(
            conn,
            group.id,
            DistributionCreate(
                **dates,
                place_name=place_name,
                place_address=place_address,
                products=[OfferedProduct(product_id=product_id) for product_id in ids],
            ),
            group.coordinator_id,
            distribution_id=demo_id("distribution", f"{group.slug}:{key}"),
        )


async def seed_demo(settings: ServiceSettings) -> None:
    pool = await create_pool(settings.database_url, "ordering", 1, 2)
    try:
        db = Database(pool, 2)
        for group in DEMO_GROUPS:
            async with db.transaction() as conn:
                await seed_group(conn, group, await db_now(conn))
    finally:
        await pool.close()
