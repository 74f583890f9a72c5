"""Fixtures of the school directory and team tests."""

from tests.browser import browser, browser_page  # noqa: F401 (fixtures for browser tests)
