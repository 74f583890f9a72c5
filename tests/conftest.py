import os

import pytest
from django.db import connection
from django.test import Client

from tests.factories import MembershipFactory, SchoolAuthorityFactory, UserFactory


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


def pytest_collection_modifyitems(config, items):
    """Skip tests that need PostgreSQL or a real broker where there is none."""
    no_redis = pytest.mark.skip(reason="REDIS_URL ist nicht gesetzt (kein Broker)")
    for item in items:
        if "worker" in item.keywords and not os.environ.get("REDIS_URL"):
            item.add_marker(no_redis)


@pytest.fixture(autouse=True)
def _skip_postgres_only(request):
    if request.node.get_closest_marker("postgres") and connection.vendor != "postgresql":
        pytest.skip("braucht PostgreSQL (DATABASE_URL)")
