from tests.licensing.conftest import set_today  # noqa: F401 (fixture)
