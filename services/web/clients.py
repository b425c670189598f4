"""The typed clients of the other services (shared/clients) over the web's `Api`, with the
member's token: `ordering(request, user).cart(g.id, distribution_id)` is a `Cart`."""

from aiohttp import web

from shared.clients.accounts import PublicAccountsClient
from shared.clients.logistics import PublicLogisticsClient
from shared.clients.ordering import OrderingClient

from .apiclient import API_KEY
from .sessions import User


def ordering(request: web.Request, user: User) -> OrderingClient:
    return OrderingClient(request.app[API_KEY], user.token)


def logistics(request: web.Request, user: User) -> PublicLogisticsClient:
    return PublicLogisticsClient(request.app[API_KEY], user.token)


def accounts(request: web.Request, user: User | None = None) -> PublicAccountsClient:
    """Accounts with the member's token; without a user, its public answers only."""
    return PublicAccountsClient(request.app[API_KEY], user.token if user else None)
