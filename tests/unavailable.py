"""Skipping a test whose tool or service is missing, except in CI."""

import os

import pytest


def unavailable(reason: str) -> None:
    """A test whose tool or service is missing: skipped on a developer machine, a
    failure in CI (``CI`` set), where everything must run."""
    if os.environ.get("CI"):
        pytest.fail(f"in CI every test must run: {reason}", pytrace=False)
    pytest.skip(reason)
