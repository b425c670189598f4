"""/dev/mail (dev mode, local clients only): the mails received by the notifications'
development sink."""

from typing import Any

from aiohttp import web

from ..apiclient import API_KEY, ServiceDown
from ..clientaddr import is_loopback_client
from ..rendering import render
from ..sessions import SETTINGS_KEY

routes = web.RouteTableDef()


@routes.get("/dev/mail")
async def dev_mail(request: web.Request) -> web.StreamResponse:
    # The sink shows password-reset links: only in dev mode, and only to someone on this very
    # machine (not to the network, nor to anyone through a local reverse proxy). Read-only: the
    # web offers no way to empty it.
    settings = request.app[SETTINGS_KEY]
    if not settings.dev_mode or not is_loopback_client(request, settings.trusted_networks):
        raise web.HTTPNotFound()
    mails: list[dict[str, Any]] = []
    down = False
    try:
        answer = await request.app[API_KEY].call("notifications", "GET", "/dev/mail.json")
    except ServiceDown:
        down = True
    else:
        found = answer.get("messages", []) if isinstance(answer, dict) else answer
        mails = [m for m in found or [] if isinstance(m, dict)]
    # Newest first, as the sink lists them.
    return render(request, "dev_mail.html", {"mails": mails, "down": down})
