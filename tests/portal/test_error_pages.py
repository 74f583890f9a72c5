"""German error pages in the portal's layout (issue 13)."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views import defaults

pytestmark = pytest.mark.django_db


def _assert_portal_page(html: str, phrase: str) -> None:
    assert phrase in html
    assert "Lizenzportal für Schulträger" in html  # the portal's layout
    assert "Zur Startseite" in html
    assert "Not Found" not in html and "Forbidden" not in html and "Server Error" not in html


def test_404_is_german(client):
    response = client.get("/gibt-es-nicht/")
    assert response.status_code == 404
    _assert_portal_page(response.content.decode(), "Seite nicht gefunden (Fehler 404)")


def test_404_for_another_authority_is_german(staff_client, other_authority):
    response = staff_client.get(reverse("portal:dashboard", args=[other_authority.pk]))
    assert response.status_code == 404
    _assert_portal_page(response.content.decode(), "Seite nicht gefunden")


def test_403_is_german(rf: RequestFactory):
    response = defaults.permission_denied(rf.get("/"), PermissionDenied())
    assert response.status_code == 403
    _assert_portal_page(response.content.decode(), "Zugriff verweigert (Fehler 403)")


def test_400_is_german_without_request_context(rf: RequestFactory):
    response = defaults.bad_request(rf.get("/"), Exception())
    assert response.status_code == 400
    _assert_portal_page(response.content.decode(), "Ungültige Anfrage (Fehler 400)")


def test_500_is_german_without_request_context(rf: RequestFactory):
    response = defaults.server_error(rf.get("/"))
    assert response.status_code == 500
    html = response.content.decode()
    _assert_portal_page(html, "Serverfehler (Fehler 500)")
    assert "Telefon , E-Mail" not in html  # no half-empty support line


def test_csrf_failure_is_german():
    browser = Client(enforce_csrf_checks=True)
    response = browser.post(reverse("login"), {"username": "x", "password": "y"})
    assert response.status_code == 403
    _assert_portal_page(response.content.decode(), "Sicherheitsprüfung fehlgeschlagen (Fehler 403)")
