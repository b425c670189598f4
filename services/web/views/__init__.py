"""Page handlers; importing the modules registers their routes."""

from . import account, coordinator, dev, member, public
from .common import routes

__all__ = ["account", "coordinator", "dev", "member", "public", "routes"]
