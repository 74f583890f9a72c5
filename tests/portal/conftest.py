"""Fixtures of the portal tests."""

from tests.browser import browser, browser_page  # noqa: F401 (fixtures for browser tests)
from tests.licensing.conftest import set_today  # noqa: F401 (fixture)
