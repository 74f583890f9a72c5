"""A reusable headless Chromium for browser tests (mark them ``browser``).

Usage in a test module::

    from tests.browser import browser_page  # noqa: F401  (a pytest fixture)

    @pytest.mark.browser
    def test_flow(browser_page, live_server, transactional_db): ...

``browser_page`` is a fresh Playwright page in its own context (downloads
accepted); the browser is the system Chromium, launched once per module.
Django's ORM is used from the test while Playwright's event loop runs, so the
module's fixture sets DJANGO_ALLOW_ASYNC_UNSAFE.
"""

import os

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser():
    from tests.unavailable import unavailable

    try:
        import playwright.sync_api as playwright_api
    except ImportError:
        unavailable("playwright is not installed")
    if not os.path.exists(CHROMIUM):
        unavailable(f"Chromium not found at {CHROMIUM}")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def browser_page(browser):
    context = browser.new_context(accept_downloads=True, locale="de-DE")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        context.close()


def login(page, live_server, *, username: str, password: str, next_url: str = "/start/") -> None:
    """Log in through the portal's login form, then go to ``next_url``."""
    page.goto(f"{live_server.url}/anmelden/?next={next_url}")
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Passwort").fill(password)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_load_state()
