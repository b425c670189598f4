"""/dev/mail (dev mode only): the mails received by the notifications' development sink."""

from typing import Any

from aiohttp import web

from ..apiclient import API_KEY, ServiceDown
from ..rendering import render
from ..sessions import SETTINGS_KEY
from .common import routes


@routes.get("/dev/mail")
async def dev_mail(request: web.Request) -> web.StreamResponse:
    if not request.app[SETTINGS_KEY].dev_mode:
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
