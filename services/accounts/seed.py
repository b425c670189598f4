"""Demo data: the four groups of SPEC.md, their coordinators and an association admin."""

from services.accounts.domain import email_key, join_path
from services.accounts.memberships import add_membership
from services.accounts.models import Group
from services.accounts.repository import demo, groups, users
from services.accounts.security import hash_password
from services.accounts.settings import AccountsSettings
from shared.db import connect
from shared.demo import DEMO_ADMIN_EMAIL, DEMO_GROUPS, DEMO_PASSWORD, DemoGroup, demo_id
from shared.logging import get_logger

log = get_logger(__name__)


def demo_group(g: DemoGroup) -> Group:
    """A group of the demo data as accounts keeps it (its coordinator named in full)."""
    return Group(
        id=g.id,
        slug=g.slug,
        name=g.name,
        city=g.city,
        coordinator_name=f"{g.coordinator_first_name} {g.coordinator_last_name}",
        coordinator_email=g.coordinator_email,
        contact_email=g.contact_email,
        phone_required=g.phone_required,
        address_required=g.address_required,
        join_path=join_path(g.slug),
    )


async def seed_demo(settings: AccountsSettings | None = None) -> None:
    settings = settings or AccountsSettings()
    conn = await connect(settings.database_url, "accounts")
    password_hash = await hash_password(DEMO_PASSWORD)
    try:
        async with conn.transaction():
            await demo.insert_admin(
                conn,
                demo_id("user", DEMO_ADMIN_EMAIL),
                DEMO_ADMIN_EMAIL,
                email_key(DEMO_ADMIN_EMAIL),
                password_hash,
            )
            for g in DEMO_GROUPS:
                group = demo_group(g)
                await groups.insert_group(conn, group, if_absent=True)
                await demo.insert_coordinator(
                    conn,
                    g.coordinator_id,
                    g.coordinator_email,
                    email_key(g.coordinator_email),
                    password_hash,
                    g.coordinator_first_name,
                    g.coordinator_last_name,
                    g.city,
                )
                coordinator = await users.user_by_id(conn, g.coordinator_id)
                assert coordinator is not None  # inserted now or before, in this transaction
                await add_membership(conn, coordinator, group, "coordinator")
    finally:
        await conn.close()
    log.info("demo_seeded", service="accounts", groups=len(DEMO_GROUPS))
