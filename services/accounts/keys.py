"""Typed application keys of the accounts service."""

from aiohttp import web

from services.accounts.settings import AccountsSettings
from shared.auth import TokenIssuer

ISSUER_KEY = web.AppKey("token_issuer", TokenIssuer)
SETTINGS_KEY = web.AppKey("accounts_settings", AccountsSettings)
