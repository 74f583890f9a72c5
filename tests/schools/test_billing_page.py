"""The portal page „Rechnungsdaten“: the authority's staff complete its billing
data; bad input gets a German message and writes nothing; another authority
can neither see nor change it."""

import pytest
from django.urls import reverse

from schools.models import SchoolAuthority

pytestmark = pytest.mark.django_db

GOOD = {
    "billing_name": "",
    "billing_department": "Schulverwaltungsamt",
    "street": "Alte Bielefelder Str. 2",
    "postal_code": "33824",
    "city": "Werther (Westf.)",
    "email": "rechnung@werther.example",
    "leitweg_id": "05315000-SCHULAMT1-82",
}


@pytest.fixture
def imported(authority):
    """An authority as the directory import leaves it: a city only."""
    SchoolAuthority.objects.filter(pk=authority.pk).update(
        street="", postal_code="", email="", leitweg_id="", has_no_leitweg_id=False
    )
    authority.refresh_from_db()
    return authority


def url(authority) -> str:
    return reverse("schools:billing_data", args=[authority.pk])


def stored(authority) -> tuple:
    authority.refresh_from_db()
    return (
        authority.street,
        authority.postal_code,
        authority.email,
        authority.leitweg_id,
        authority.has_no_leitweg_id,
    )


def test_page_names_what_is_missing(staff_client, imported):
    response = staff_client.get(url(imported))
    text = response.content.decode()
    assert response.status_code == 200
    assert "Die Rechnungsdaten sind unvollständig." in text
    for item in ("Straße und Hausnummer", "PLZ", "E-Mail für Rechnungen", "Leitweg-ID"):
        assert f"<li>{item}" in text


def test_complete_data_is_saved(staff_client, imported):
    response = staff_client.post(url(imported), GOOD, follow=True)
    assert response.redirect_chain[-1][0] == url(imported)
    assert "Die Rechnungsdaten wurden gespeichert." in response.content.decode()
    assert "Die Rechnungsdaten sind unvollständig." not in response.content.decode()
    assert stored(imported) == (
        "Alte Bielefelder Str. 2",
        "33824",
        "rechnung@werther.example",
        "05315000-SCHULAMT1-82",
        False,
    )


def test_no_leitweg_id_stated_explicitly_is_saved(staff_client, imported):
    staff_client.post(url(imported), {**GOOD, "leitweg_id": "", "has_no_leitweg_id": "on"})
    assert stored(imported)[3:] == ("", True)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"leitweg_id": "05315000-SCHULAMT1-83"}, "Die Prüfziffer der Leitweg-ID"),
        ({"leitweg_id": "5315000-x-82"}, "hat nicht die Form"),
        ({"leitweg_id": ""}, "Bitte geben Sie Ihre Leitweg-ID an oder kreuzen Sie an"),
        ({"has_no_leitweg_id": "on"}, "nicht beides"),
        ({"postal_code": "3382"}, "Bitte geben Sie eine fünfstellige Postleitzahl an."),
        ({"street": ""}, "Dieses Feld ist zwingend erforderlich."),
        ({"email": "rechnung@"}, "gültige E-Mail-Adresse"),
    ],
)
def test_bad_input_gets_a_german_message_and_writes_nothing(
    staff_client, imported, changes, message
):
    before = stored(imported)
    response = staff_client.post(url(imported), {**GOOD, **changes})
    assert response.status_code == 400
    text = response.content.decode()
    assert "Bitte korrigieren Sie Ihre Angaben" in text
    assert message in text
    assert stored(imported) == before


def test_another_authority_can_neither_see_nor_change_it(other_client, imported):
    before = stored(imported)
    assert other_client.get(url(imported)).status_code == 404
    assert other_client.post(url(imported), GOOD).status_code == 404
    assert stored(imported) == before


def test_anonymous_users_are_sent_to_the_login(client, imported):
    response = client.post(url(imported), GOOD)
    assert response.status_code == 302 and "anmelden" in response["Location"]
    assert stored(imported)[0] == ""


def test_next_leads_back_only_within_the_site(staff_client, imported):
    back = reverse("schools:school_list", args=[imported.pk])
    response = staff_client.post(url(imported), {**GOOD, "next": back})
    assert response["Location"] == back
    response = staff_client.post(url(imported), {**GOOD, "next": "https://evil.example/"})
    assert response["Location"] == url(imported)
