"""The web pages against the real accounts, ordering and logistics apps (in-process, each on
its own port, on the test database and exchange), driven like a browser: cookies, forms with
their CSRF token, redirects followed."""

import asyncio
import html
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from yarl import URL

from services.accounts.bootstrap import build_app as build_accounts
from services.accounts.seed import seed_demo as seed_accounts
from services.accounts.settings import AccountsSettings
from services.logistics.bootstrap import build_app as build_logistics
from services.logistics.settings import LogisticsSettings
from services.notifications.bootstrap import build_app as build_notifications
from services.notifications.settings import NotificationsSettings
from services.ordering.bootstrap import build_app as build_ordering
from services.ordering.seed import seed_demo as seed_ordering
from services.ordering.settings import OrderingSettings
from services.web.bootstrap import build_app as build_web
from services.web.settings import WebSettings
from shared.demo import DEMO_GROUPS, DEMO_PASSWORD

COCUS = DEMO_GROUPS[0]
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
MEMBER_PASSWORD = "un-mot-de-passe-solide"  # the one sign_up() chooses


@dataclass
class Page:
    status: int
    url: str
    text: str
    headers: Any

    @property
    def path(self) -> str:
        return URL(self.url).path_qs

    def csrf(self) -> str:
        found = CSRF.search(self.text)
        assert found, f"no CSRF token on {self.url}"
        return html.unescape(found.group(1))

    def hidden(self, name: str) -> str:
        found = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', self.text)
        assert found, f"no hidden field {name} on {self.url}"
        return html.unescape(found.group(1))

    def field_error(self, name: str) -> str:
        """The message beside a refused field, whose input is marked invalid for screen readers."""
        marked = re.search(rf'id="f-{re.escape(name)}"[^>]*aria-invalid="true"', self.text)
        assert marked, f"{name} is not marked invalid on {self.url}"
        found = re.search(rf'<p class="error" id="e-{re.escape(name)}">([^<]*)</p>', self.text)
        assert found, f"no error beside {name} on {self.url}"
        return html.unescape(found.group(1))

    def visible_text(self) -> str:
        text = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", self.text, flags=re.S)
        text = re.sub(r"<[^>]+>", " ", text)
        return re.sub(r"\s+", " ", html.unescape(text)).strip()

    def __contains__(self, needle: str) -> bool:
        return needle in self.visible_text()


class Browser:
    """One person's browser: its own cookie jar."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        self.session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.page: Page | None = None

    async def close(self) -> None:
        await self.session.close()

    async def _page(self, resp: aiohttp.ClientResponse) -> Page:
        page = Page(resp.status, str(resp.url), await resp.text(), resp.headers)
        if resp.content_type == "text/html":
            self.page = page
        return page

    async def get(self, path: str, **kwargs: Any) -> Page:
        async with self.session.get(self.base + path, **kwargs) as resp:
            return await self._page(resp)

    async def post(
        self,
        path: str,
        data: dict[str, Any] | list[tuple[str, str]],
        csrf: str | None = None,
        **kwargs: Any,
    ) -> Page:
        """Submit a form; the CSRF token comes from the last page shown unless given."""
        items = list(data.items()) if isinstance(data, dict) else list(data)
        if csrf is None and self.page is not None:
            csrf = self.page.csrf()
        if csrf is not None:
            items.append(("csrf_token", csrf))
        async with self.session.post(self.base + path, data=items, **kwargs) as resp:
            return await self._page(resp)

    def cookie(self, name: str) -> str | None:
        for cookie in self.session.cookie_jar:
            if cookie.key == name:
                return cookie.value
        return None


@dataclass
class Stack:
    web: TestServer
    accounts: TestServer
    ordering: TestServer
    logistics: TestServer
    notifications: TestServer
    web_settings: WebSettings
    logistics_settings: LogisticsSettings
    database_url: str
    accounts_settings: AccountsSettings

    async def seed_logistics(self) -> None:
        """The tutorial's 3 places at 16:45, once logistics knows the demo distributions."""
        from services.logistics.seed import seed_demo

        await seed_demo(self.logistics_settings)

    def url(self, server: TestServer) -> str:
        return str(server.make_url("")).rstrip("/")

    async def browser(self) -> Browser:
        return Browser(self.url(self.web))

    async def wait_for_slots(self, browser: Browser, path: str, seconds: float = 15) -> Page:
        """Logistics learns of distributions from events: wait until the slots show."""
        deadline = asyncio.get_running_loop().time() + seconds
        while True:
            page = await browser.get(path)
            if 'name="slot_id"' in page.text:
                return page
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"no slots on {path}: {page.visible_text()[:500]}")
            await asyncio.sleep(0.3)


async def start(app: Any) -> TestServer:
    server = TestServer(app)
    await server.start_server()
    return server


@asynccontextmanager
async def running_stack(
    database_url: str, amqp_url: str, events_exchange: str, **notifications: Any
) -> AsyncIterator[Stack]:
    """Accounts, logistics, notifications, ordering and the web in-process, each on its own
    port, accounts and ordering seeded; `notifications` are its own settings (mail sink, pace).
    Notifications starts before ordering, so its queue is there for ordering's first events."""
    common: dict[str, Any] = {
        "database_url": database_url,
        "amqp_url": amqp_url,
        "events_exchange": events_exchange,
        "service_secret": "test-secret",
    }
    accounts_settings = AccountsSettings(**common)
    await seed_accounts(accounts_settings)
    servers: list[TestServer] = []

    async def started(app: Any) -> TestServer:
        servers.append(await start(app))
        return servers[-1]

    def url(server: TestServer) -> str:
        return str(server.make_url("")).rstrip("/")

    try:
        accounts = await started(await build_accounts(accounts_settings))
        logistics_settings = LogisticsSettings(**common, accounts_url=url(accounts))
        logistics = await started(await build_logistics(logistics_settings))
        notifications_settings = NotificationsSettings(
            **common, accounts_url=url(accounts), logistics_url=url(logistics), **notifications
        )
        notifications_server = await started(await build_notifications(notifications_settings))
        ordering_settings = OrderingSettings(
            **common, accounts_url=url(accounts), scheduler_interval=1.0
        )
        await seed_ordering(ordering_settings)
        ordering = await started(await build_ordering(ordering_settings))
        web_settings = WebSettings(
            dev_mode=True,
            accounts_url=url(accounts),
            ordering_url=url(ordering),
            logistics_url=url(logistics),
            notifications_url=url(notifications_server),
            csrf_secret="test-csrf-secret",
            # The web's service token vouches for the member's address it forwards to accounts.
            service_secret="test-secret",
        )
        web = await started(await build_web(web_settings))
        yield Stack(
            web,
            accounts,
            ordering,
            logistics,
            notifications_server,
            web_settings,
            logistics_settings,
            database_url,
            accounts_settings,
        )
    finally:
        for server in reversed(servers):
            await server.close()


@pytest.fixture
async def stack(database_url: str, amqp_url: str, events_exchange: str) -> AsyncIterator[Stack]:
    # Notifications holds the mails of « Mes données »; its SMTP server is absent (the mails wait
    # in its queue), which the pages never depend on. Its dev routes back the web's /dev/mail;
    # no in-process mail sink is started.
    async with running_stack(
        database_url,
        amqp_url,
        events_exchange,
        smtp_port=9,
        dev_mode=True,
        mailsink_enabled=False,
    ) as running:
        yield running


@pytest.fixture
async def browser(stack: Stack) -> AsyncIterator[Browser]:
    b = await stack.browser()
    yield b
    await b.close()


async def submit_sign_up(
    browser: Browser,
    fields: dict[str, str],
    slug: str | None = None,
    csrf: str | None = None,
) -> Page:
    """The sign-up form, through the group's join link unless `slug` is None, sent with these
    fields (and the page's CSRF token unless `csrf` is given)."""
    path = "/inscription" if slug is None else f"/inscription?groupe={slug}"
    await browser.get(path)
    return await browser.post(path, fields, csrf=csrf)


async def sign_up(
    browser: Browser,
    email: str,
    first_name: str = "Sarah",
    last_name: str = "Varda",
    complete: bool = True,
    slug: str | None = "3-cocus",
    csrf: str | None = None,
) -> Page:
    """Sign up with MEMBER_PASSWORD; `complete` adds the phone and address in Toulouse."""
    data = {
        "first_name": first_name,
        "last_name": last_name,
        "email": email,
        "password": MEMBER_PASSWORD,
    }
    if complete:
        data.update(
            {
                "phone": "0606060606",
                "street": "3 rue des Lilas",
                "postcode": "31200",
                "city": "Toulouse",
            }
        )
    return await submit_sign_up(browser, data, slug, csrf)


async def log_in(
    browser: Browser, email: str, password: str = DEMO_PASSWORD, next_path: str = ""
) -> Page:
    """The log-in form; `next_path` is where it is asked to lead afterwards."""
    await browser.get("/connexion")
    return await browser.post(
        "/connexion", {"email": email, "password": password, "next": next_path}
    )


async def log_in_coordinator(browser: Browser, group: Any = COCUS) -> Page:
    return await log_in(browser, group.coordinator_email)
