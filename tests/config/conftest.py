import pytest

from tests.live_portal import PRODUCTION_VALUES


@pytest.fixture
def production_env(tmp_path):
    return {
        **PRODUCTION_VALUES,
        "SECRET_KEY": "k8$Jq2!vR7pZ0xWm4Ls9Tb6Yh3Nc1Ud5Ge8Af2Ki7Or4Pw0Ez6Sj3Xl9Qy1Cv5Bn",
        "ALLOWED_HOSTS": "lizenzen.example.org",
        "CSRF_TRUSTED_ORIGINS": "https://lizenzen.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "STATIC_ROOT": str(tmp_path / "static"),
    }
