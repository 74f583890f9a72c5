"""Every page carries a Content-Security-Policy that forbids inline scripts."""

import pytest
from django.urls import reverse

from tests.factories import SchoolAuthorityFactory

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def directives(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    parts = (part.strip().split(" ", 1) for part in header.split(";") if part.strip())
    return dict(parts)


def assert_strict_policy(response):
    policy = directives(response)
    for name, value in POLICY.items():
        assert policy[name] == value, name
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]


@pytest.mark.django_db
def test_public_pages_carry_the_policy(client):
    for url in [reverse("home"), reverse("login")]:
        response = client.get(url)
        assert response.status_code == 200
        assert_strict_policy(response)


def test_portal_page_carries_the_policy(staff_client, authority):
    response = staff_client.get(reverse("portal:dashboard", args=[authority.pk]))

    assert response.status_code == 200
    assert_strict_policy(response)
    assert b"<script>" not in response.content
    assert b" style=" not in response.content


@pytest.mark.django_db
def test_admin_login_page_works_under_the_policy(client):
    response = client.get(reverse("admin:login"))

    assert response.status_code == 200
    assert_strict_policy(response)
    assert b"<script>" not in response.content


def test_admin_changelist_and_change_form_work_under_the_policy(publisher_client):
    authority = SchoolAuthorityFactory(name="Stadt Bonn")
    pages = [
        reverse("admin:index"),
        reverse("admin:schools_schoolauthority_changelist"),
        reverse("admin:schools_schoolauthority_change", args=[authority.pk]),
        reverse("admin:schools_schoolauthority_add"),
    ]
    for url in pages:
        response = publisher_client.get(url)
        assert response.status_code == 200, url
        assert_strict_policy(response)
        # Django's admin ships its JavaScript as files; nothing inline to be blocked.
        assert b"<script>" not in response.content, url
