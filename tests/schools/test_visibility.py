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


def test_school_list_rows_show_number_name_and_address_escaped(staff_client, authority):
    SchoolFactory(
        authority=authority,
        school_number="123456",
        name='Schule <b>"Am Ring"</b> & Co',
        street="Ring 1",
        postal_code="50667",
        city="Köln",
    )
    SchoolFactory(authority=authority, school_number="654321", street="", postal_code="", city="")

    html = staff_client.get(reverse("schools:school_list", args=[authority.pk])).content.decode()

    assert (
        "<tr><td>123456</td><td>Schule &lt;b&gt;&quot;Am Ring&quot;&lt;/b&gt; &amp; Co</td>"
        "<td>Ring 1, 50667 Köln</td></tr>"
    ) in html
    assert "<b>" not in html
    assert "<td>654321</td>" in html
