"""The idle timeout (SESSION_IDLE_MINUTES, 30) with a session written at most once a
minute (config/session_refresh.py), not on every request."""

import datetime
from unittest import mock

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

IDLE = datetime.timedelta(minutes=30)


@pytest.fixture
def clock():
    """The wall clock of Django (sessions, the middleware), moved by the test."""
    moment = {"now": timezone.now().replace(microsecond=0)}
    with mock.patch("django.utils.timezone.now", lambda: moment["now"]):
        yield moment


@pytest.fixture
def url(authority):
    return reverse("portal:dashboard", args=[authority.pk])


def at(clock, client, url, moment):
    """GET ``url`` at ``moment``; returns the response and the session UPDATEs."""
    clock["now"] = moment
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    writes = [q for q in queries.captured_queries if q["sql"].startswith('UPDATE "django_session"')]
    return response, writes


def expiry(client):
    return Session.objects.get(session_key=client.session.session_key).expire_date


def logged_out(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_request_within_a_minute_of_the_last_renewal_writes_no_session(clock, staff_client, url):
    start = clock["now"]
    response, writes = at(clock, staff_client, url, start)
    assert response.status_code == 200
    assert writes, "the first request after the login renews the session"
    assert expiry(staff_client) == start + IDLE

    response, writes = at(clock, staff_client, url, start + datetime.timedelta(seconds=59))

    assert response.status_code == 200
    assert writes == []
    assert expiry(staff_client) == start + IDLE


def test_a_request_a_minute_after_the_last_renewal_renews_the_session(clock, staff_client, url):
    start = clock["now"]
    at(clock, staff_client, url, start)
    later = start + datetime.timedelta(seconds=60)

    response, writes = at(clock, staff_client, url, later)

    assert response.status_code == 200
    assert len(writes) == 1
    assert expiry(staff_client) == later + IDLE


def test_the_session_ends_thirty_minutes_after_the_last_request_at_the_latest(
    clock, staff_client, url
):
    start = clock["now"]
    at(clock, staff_client, url, start)
    last = start + datetime.timedelta(seconds=59)  # not renewed: within the minute
    at(clock, staff_client, url, last)

    response, _ = at(clock, staff_client, url, last + IDLE)

    assert logged_out(response)


def test_a_session_used_every_59_seconds_stays_alive_for_29_idle_minutes(clock, staff_client, url):
    moment = clock["now"]
    for _ in range(12):  # ten minutes of requests, 59 s apart
        response, _ = at(clock, staff_client, url, moment)
        assert response.status_code == 200
        moment += datetime.timedelta(seconds=59)
    last = moment - datetime.timedelta(seconds=59)

    response, _ = at(clock, staff_client, url, last + IDLE - datetime.timedelta(seconds=61))
    assert response.status_code == 200

    response, _ = at(clock, staff_client, url, last + IDLE - datetime.timedelta(seconds=61) + IDLE)
    assert logged_out(response)


def test_a_request_a_second_before_the_timeout_renews_the_session(clock, staff_client, url):
    start = clock["now"]
    at(clock, staff_client, url, start)

    response, _ = at(clock, staff_client, url, start + IDLE - datetime.timedelta(seconds=1))
    assert response.status_code == 200
    assert expiry(staff_client) == start + IDLE - datetime.timedelta(seconds=1) + IDLE

    response, _ = at(clock, staff_client, url, start + IDLE - datetime.timedelta(seconds=1) + IDLE)
    assert logged_out(response)


def test_a_changed_session_is_saved_at_once_with_the_renewal_time(clock, client, user_login):
    """A login changes the session: it is saved then (the renewal time with it), so
    the next request within the minute writes nothing."""
    start = clock["now"]
    clock["now"] = start
    response = client.post(reverse("login"), user_login)
    assert response.status_code == 302
    assert expiry(client) == start + IDLE

    _, writes = at(clock, client, reverse("portal:start"), start + datetime.timedelta(seconds=30))
    assert writes == []


@pytest.fixture
def user_login(staff_user):
    staff_user.set_password("geheim-123")
    staff_user.save()
    return {"username": staff_user.username, "password": "geheim-123"}


def test_anonymous_requests_make_no_session(db, client):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("home")).status_code == 200
    assert not [q for q in queries.captured_queries if "django_session" in q["sql"]]
    assert "sessionid" not in client.cookies
