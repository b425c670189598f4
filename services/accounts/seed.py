"""Demo data: the four groups of SPEC.md, their coordinators and an association admin."""

from services.accounts.domain import email_key
from services.accounts.repository import demo
from services.accounts.security import hash_password
from services.accounts.settings import AccountsSettings
from shared.contracts.accounts import MemberJoinedV1
from shared.db import connect
from shared.demo import DEMO_ADMIN_EMAIL, DEMO_GROUPS, DEMO_PASSWORD, demo_id
from shared.logging import get_logger
from shared.outbox import add_event

log = get_logger(__name__)


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
                await demo.insert_group(
                    conn,
                    g.id,
                    g.slug,
                    g.name,
                    g.city,
                    f"{g.coordinator_first_name} {g.coordinator_last_name}",
                    g.coordinator_email,
                    g.contact_email,
                    g.phone_required,
                    g.address_required,
                )
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
                joined = await demo.add_coordinator(conn, g.coordinator_id, g.id)
                if joined:
                    await add_event(
                        conn,
                        "accounts.member.joined.v1",
                        "/accounts",
                        MemberJoinedV1(
                            user_id=g.coordinator_id,
                            group_id=g.id,
                            group_slug=g.slug,
                            role="coordinator",
                            first_name=g.coordinator_first_name,
                            postcode="31000",
                            language="fr",
                        ),
                        subject=str(g.coordinator_id),
                        group_id=g.id,
                    )
    finally:
        await conn.close()
    log.info("demo_seeded", service="accounts", groups=len(DEMO_GROUPS))
