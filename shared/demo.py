"""The demo data of SPEC.md, shared by every service's seed so that ids agree across schemas."""

import uuid
from dataclasses import dataclass

DEMO_NAMESPACE = uuid.UUID("6f0c7d52-4f4e-4a51-9a35-0c5b0d3f8a11")


def demo_id(kind: str, key: str) -> uuid.UUID:
    return uuid.uuid5(DEMO_NAMESPACE, f"{kind}:{key}")


@dataclass(frozen=True)
class DemoGroup:
    slug: str
    name: str
    city: str
    coordinator_first_name: str
    coordinator_last_name: str
    coordinator_email: str
    contact_email: str
    phone_required: bool
    address_required: bool

    @property
    def id(self) -> uuid.UUID:
        return demo_id("group", self.slug)

    @property
    def coordinator_id(self) -> uuid.UUID:
        return demo_id("user", self.coordinator_email)


DEMO_GROUPS = (
    DemoGroup(
        "3-cocus",
        "3 Cocus",
        "Toulouse",
        "Camille",
        "MARTIN",
        "coordination.3cocus@vrac-asso.org",
        "contact-toulouse@vrac-asso.org",
        True,
        True,
    ),
    DemoGroup(
        "bellefontaine",
        "Bellefontaine",
        "Toulouse",
        "Nadia",
        "BENALI",
        "coordination.bellefontaine@vrac-asso.org",
        "contact-toulouse@vrac-asso.org",
        True,
        True,
    ),
    DemoGroup(
        "soupetard",
        "Soupetard",
        "Toulouse",
        "Karim",
        "HADDAD",
        "coordination.soupetard@vrac-asso.org",
        "contact-toulouse@vrac-asso.org",
        True,
        True,
    ),
    DemoGroup(
        "minguettes",
        "Minguettes",
        "Vénissieux",
        "Joachim",
        "ROBERT",
        "joachim@vrac-asso.org",
        "contact-lyon@vrac-asso.org",
        True,
        False,
    ),
)
DEMO_ADMIN_EMAIL = "admin@vrac-asso.org"
# Development only: printed by `make run` so a person can try the coordinator pages.
DEMO_PASSWORD = "vrac-demo-2026"
