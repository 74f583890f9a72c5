import os

import pytest
from django.db import connection
from django.test import Client

from tests.factories import MembershipFactory, SchoolAuthorityFactory, UserFactory
from tests.unavailable import unavailable


@pytest.fixture
def authority(db):
    return SchoolAuthorityFactory()


@pytest.fixture
def other_authority(db):
    return SchoolAuthorityFactory(name="Kreis Anderswo")


@pytest.fixture
def staff_user(db, authority):
    """A user of ``authority`` (authority staff)."""
    user = UserFactory(username="sachbearbeitung")
    MembershipFactory(user=user, authority=authority)
    return user


@pytest.fixture
def other_user(db, other_authority):
    """A user of another authority."""
    user = UserFactory(username="fremd")
    MembershipFactory(user=user, authority=other_authority)
    return user


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def other_client(other_user):
    """A separate browser session, logged in as another authority's user."""
    other = Client()
    other.force_login(other_user)
    return other


@pytest.fixture
def publisher_user(db):
    """The publisher's staff (Django admin)."""
    return UserFactory(username="verlag", is_staff=True, is_superuser=True)


@pytest.fixture
def publisher_client(publisher_user):
    publisher = Client()
    publisher.force_login(publisher_user)
    return publisher


def pytest_sessionfinish(session, exitstatus):
    """In CI a skipped test fails the run (exit status 1), whatever skipped it."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if os.environ.get("CI") and skipped and session.exitstatus == 0:
        reporter.write_line(f"CI: {len(skipped)} test(s) skipped; every test must run.", red=True)
        session.exitstatus = 1


@pytest.fixture(autouse=True)
def _skip_unavailable(request):
    """Tests that need a real broker or PostgreSQL where there is none (CI: fail)."""
    if request.node.get_closest_marker("worker") and not os.environ.get("REDIS_URL"):
        unavailable("REDIS_URL ist nicht gesetzt (kein Broker)")
    if request.node.get_closest_marker("postgres") and connection.vendor != "postgresql":
        unavailable("braucht PostgreSQL (DATABASE_URL)")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Ids start at 1,000,001 on PostgreSQL, so that no test can depend on small id
    values (an id of four digits or more is rendered with a thousands separator)."""
    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")
                for (name,) in cursor.fetchall():
                    cursor.execute(f'ALTER SEQUENCE "{name}" RESTART WITH 1000001')
