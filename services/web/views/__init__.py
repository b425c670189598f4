"""Page handlers; importing the modules registers their routes."""

from . import account, admin, coordinator, coordinator_tools, dev, member, personal_data, public
from .common import routes

__all__ = [
    "account",
    "admin",
    "coordinator",
    "coordinator_tools",
    "dev",
    "member",
    "personal_data",
    "public",
    "routes",
]
