"""Passwords are hashed with Argon2 (config/hashers.py); PBKDF2 hashes of older
accounts still log in and are rehashed with Argon2 on that log-in."""

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher, identify_hasher, make_password
from django.urls import reverse

from config.hashers import PortalArgon2PasswordHasher
from config.settings import base
from tests.config.test_production_settings import run_manage

PASSWORD = "Lizenz-Demo-2026"
PORTAL_ARGON2 = "argon2$argon2id$v=19$m=57344,t=2,p=1$"


@pytest.fixture
def base_hashers(settings):
    """The hashers of the base (and so the production) settings; the tests' own
    settings use a fast one."""
    settings.PASSWORD_HASHERS = base.PASSWORD_HASHERS


def log_in(client, user, password=PASSWORD):
    return client.post(reverse("login"), {"username": user.username, "password": password})


def test_production_hashes_with_the_portals_argon2_first(production_env, tmp_path):
    code = (
        "from django.conf import settings; from django.contrib.auth.hashers import make_password;"
        "print(settings.PASSWORD_HASHERS[0], make_password('x').rsplit('$', 2)[0])"
    )

    result = run_manage("shell", "-c", code, env_vars=production_env, tmp_path=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == (
        "config.hashers.PortalArgon2PasswordHasher argon2$argon2id$v=19$m=57344,t=2,p=1"
    )


def test_the_portals_argon2_is_djangos_with_one_lane_and_56_mib():
    assert issubclass(PortalArgon2PasswordHasher, Argon2PasswordHasher)
    assert PortalArgon2PasswordHasher.algorithm == "argon2"
    hashed = PortalArgon2PasswordHasher().encode(PASSWORD, "saltsaltsalt1234")
    assert hashed.startswith(PORTAL_ARGON2)


def test_a_pbkdf2_password_logs_in_and_is_rehashed_with_argon2(base_hashers, client, staff_user):
    staff_user.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    staff_user.save()

    response = log_in(client, staff_user)

    assert response.status_code == 302
    staff_user.refresh_from_db()
    assert staff_user.password.startswith(PORTAL_ARGON2)
    assert staff_user.check_password(PASSWORD)


def test_an_argon2_hash_with_djangos_default_costs_is_rehashed_with_the_portals(
    base_hashers, client, staff_user
):
    staff_user.password = Argon2PasswordHasher().encode(PASSWORD, "saltsaltsalt1234")
    staff_user.save()
    assert identify_hasher(staff_user.password).algorithm == "argon2"

    assert log_in(client, staff_user).status_code == 302

    staff_user.refresh_from_db()
    assert staff_user.password.startswith(PORTAL_ARGON2)


def test_a_wrong_password_leaves_the_old_hash_alone(base_hashers, client, staff_user):
    old = make_password(PASSWORD, hasher="pbkdf2_sha256")
    staff_user.password = old
    staff_user.save()

    response = log_in(client, staff_user, password="falsch")

    assert response.status_code == 200
    staff_user.refresh_from_db()
    assert staff_user.password == old


def test_a_new_password_is_hashed_with_the_portals_argon2(base_hashers, staff_user):
    staff_user.set_password("Ein-neues-Passwort-2026")
    assert staff_user.password.startswith(PORTAL_ARGON2)
