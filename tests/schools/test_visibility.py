import pytest
from django.urls import reverse

from tests.factories import SchoolFactory, SchoolTypeFactory

pytestmark = pytest.mark.django_db


def test_school_list_shows_own_schools_by_type(staff_client, authority):
    gs = SchoolTypeFactory(key="02", name="Grundschule")
    gym = SchoolTypeFactory(key="20", name="Gymnasium")
    SchoolFactory(authority=authority, school_type=gs, name="GGS Am Rhein")
    SchoolFactory(authority=authority, school_type=gym, name="Humboldt-Gymnasium")
    SchoolFactory(
        authority=authority, school_type=gym, name="Geschlossenes Gymnasium", is_active=False
    )

    response = staff_client.get(reverse("schools:school_list", args=[authority.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "GGS Am Rhein" in html
    assert "Humboldt-Gymnasium" in html
    assert "Geschlossenes Gymnasium" not in html
    assert [g.school_type.name for g in response.context["groups"]] == ["Grundschule", "Gymnasium"]


@pytest.mark.parametrize("url_name", ["portal:dashboard", "schools:school_list"])
def test_other_authoritys_pages_are_404(other_client, authority, url_name):
    SchoolFactory(authority=authority, name="Geheime Schule")

    response = other_client.get(reverse(url_name, args=[authority.pk]))

    assert response.status_code == 404
    assert "Geheime Schule" not in response.content.decode()


def test_anonymous_user_is_sent_to_login(client, authority):
    response = client.get(reverse("portal:dashboard", args=[authority.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_start_redirects_a_single_authority_user_to_its_dashboard(staff_client, authority):
    response = staff_client.get(reverse("portal:start"))

    assert response["Location"] == reverse("portal:dashboard", args=[authority.pk])


def test_login_with_username_and_password_leads_to_the_dashboard(client, staff_user, authority):
    response = client.post(
        reverse("login"), {"username": "sachbearbeitung", "password": "geheim-123"}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("portal:dashboard", args=[authority.pk])
    assert authority.name in response.content.decode()


def test_wrong_password_shows_a_german_message(client, staff_user):
    response = client.post(reverse("login"), {"username": "sachbearbeitung", "password": "falsch"})

    assert response.status_code == 200
    assert "Beide Felder berücksichtigen die" in response.content.decode()
