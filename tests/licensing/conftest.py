import datetime

import pytest

from licensing import lifecycle


@pytest.fixture
def set_today(monkeypatch):
    """Make ``licensing.lifecycle.today()`` return a chosen day."""

    def setter(day: datetime.date) -> None:
        monkeypatch.setattr(lifecycle, "today", lambda: day)

    return setter
