"""/dev/mail shows reset links: it exists in dev mode only (issue 11, item 11)."""

from aiohttp.test_utils import TestClient, TestServer

from services.web.bootstrap import build_app
from services.web.settings import WebSettings


async def test_no_dev_mail_page_outside_dev_mode() -> None:
    settings = WebSettings(
        dev_mode=False, csrf_secret="x" * 40, notifications_url="http://127.0.0.1:9"
    )
    async with TestClient(TestServer(await build_app(settings))) as client:
        resp = await client.get("/dev/mail")
        assert resp.status == 404
        resp = await client.get("/dev/mail.json")
        assert resp.status == 404
