"""HTTP routes of the notifications service. It has no public API: only the development mail
list (dev mode), which the web service links to or proxies at /dev/mail. The list is read-only
(tests empty `sink_messages` in the database) and answers loopback peers only."""

import functools
import ipaddress
from collections.abc import Awaitable, Callable
from html import escape

from aiohttp import web

from services.notifications import export as personal_export
from services.notifications import mailsink
from services.notifications.mailsink import summary
from services.notifications.models import NotificationsExport, SinkMails
from shared.auth import service_principal
from shared.bodies import path_uuid
from shared.http import json_ok, model_ok
from shared.openapi import Answer, operation
from shared.problems import not_found
from shared.runtime import DB_KEY

dev_routes = web.RouteTableDef()
Handler = Callable[[web.Request], Awaitable[web.Response]]
PAGE_SIZE = 100
# sink_messages.id is a bigint: a longer id names no mail (and would make Postgres fail).
MAX_MESSAGE_ID = 2**63 - 1


def require_local_peer(request: web.Request) -> None:
    """The sink shows password-reset links: only this machine may read it. The TCP peer is what
    counts (headers such as X-Forwarded-For are not looked at); anyone else gets a plain 404, as
    if the route did not exist. The web's /dev/mail reaches it from the same machine."""
    peer = request.transport.get_extra_info("peername") if request.transport else None
    host = peer[0] if isinstance(peer, tuple) and peer else None
    try:
        local = host is not None and ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        local = False
    if not local:
        raise not_found("Page", "Page")


def dev_page(path: str, summary: str, response: Answer) -> Callable[[Handler], Handler]:
    """A route of the development mail sink: documented under « dev », no token, and answering
    loopback peers only (`require_local_peer` runs before the handler)."""

    def route(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def local_only(request: web.Request) -> web.Response:
            require_local_peer(request)
            return await handler(request)

        described = operation(summary, response=response, tags=["dev"], auth=False)(local_only)
        dev_routes.get(path)(described)
        return described

    return route


@dev_page("/dev/mail.json", "Mails received by the development mail sink (newest first)", SinkMails)
async def mail_json(request: web.Request) -> web.Response:
    rows = await mailsink.received(request.app[DB_KEY], PAGE_SIZE)
    return json_ok({"messages": [summary(r) for r in rows]})


@dev_page("/dev/mail", "Mails received by the development mail sink, as a page", "text/html")
async def mail_page(request: web.Request) -> web.Response:
    rows = await mailsink.received(request.app[DB_KEY], PAGE_SIZE)
    items = []
    for row in rows:
        mail = summary(row)
        items.append(
            "<article>"
            f"<h2>{escape(mail['subject'])}</h2>"
            f"<p><strong>À :</strong> {escape(mail['to'])}<br>"
            f"<strong>De :</strong> {escape(mail['from'])}<br>"
            f"<strong>Reçu :</strong> {escape(mail['received_at'])} · "
            f'<a href="/dev/mail/{mail["id"]}.html">version HTML</a></p>'
            f"<pre>{escape(mail['text'])}</pre>"
            "</article>"
        )
    body = "\n".join(items) or "<p>Aucun e-mail reçu pour l'instant.</p>"
    page = (
        '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>E-mails envoyés (développement)</title>"
        "<style>body{font-family:sans-serif;max-width:50rem;margin:auto;padding:1rem}"
        "article{border-bottom:1px solid #ccc;padding:.5rem 0}"
        "pre{white-space:pre-wrap;background:#f6f3ee;padding:.5rem}</style></head><body>"
        f"<h1>E-mails envoyés (développement) — {len(rows)}</h1>{body}</body></html>"
    )
    return web.Response(text=page, content_type="text/html")


@dev_page(
    r"/dev/mail/{message_id:\d+}.html",
    "The HTML part of one mail received by the development sink",
    "text/html",
)
async def mail_html(request: web.Request) -> web.Response:
    message_id = int(request.match_info["message_id"])
    if message_id > MAX_MESSAGE_ID:
        raise not_found("E-mail", "Mail")
    row = await mailsink.received_one(request.app[DB_KEY], message_id)
    if row is None:
        raise not_found("E-mail", "Mail")
    response = web.Response(text=summary(row)["html"], content_type="text/html")
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


# The service's internal API (always served; the dev routes above only in dev mode).
routes = web.RouteTableDef()


@routes.get("/internal/users/{user_id}/export")
@operation(
    "The mails written to a person (subjects in their language) and the ids kept about them,"
    " for their download (the web)",
    response=NotificationsExport,
    tags=["internal", "personal data"],
)
async def internal_export(request: web.Request) -> web.Response:
    await service_principal(request)
    found = await personal_export.export_user(
        request.app[DB_KEY],
        request.app[personal_export.ACCOUNTS_KEY],
        path_uuid(request, "user_id"),
    )
    return model_ok(found)
