"""Account steps that several web tests take the same way: the association admin's log-in, and a
session cookie replayed by a browser that holds nothing else."""

from shared.demo import DEMO_ADMIN_EMAIL
from tests.integration.web.conftest import Browser, Page, log_in


async def log_in_admin(browser: Browser) -> Page:
    """Log in as the demo association admin, who is shown the « Administration » link."""
    page = await log_in(browser, DEMO_ADMIN_EMAIL)
    assert 'href="/admin">Administration</a>' in page.text, page.visible_text()[:500]
    return page


async def get_with_session_cookie(base: str, session: str, path: str) -> Page:
    """`path` on the web at `base` as a fresh browser holding only this session cookie gets it:
    what an old cookie, replayed, still opens."""
    replay = Browser(base)
    try:
        replay.session.cookie_jar.update_cookies({"vrac_session": session})
        return await replay.get(path)
    finally:
        await replay.close()
