"""Billing data of an authority (R9, R10): what is missing, Leitweg-ID or the
explicit statement that there is none."""

import pytest
from django.core.exceptions import ValidationError

from schools.billing import billing_incomplete_q, billing_missing, uses_xrechnung
from schools.models import SchoolAuthority
from tests.factories import SchoolAuthorityFactory

pytestmark = pytest.mark.django_db
LEITWEG = "05315000-SCHULAMT1-82"


def complete(**changes) -> SchoolAuthority:
    return SchoolAuthorityFactory(**changes)


def test_a_complete_authority_lacks_nothing_and_is_not_listed_as_incomplete():
    authority = complete()
    assert billing_missing(authority) == []
    assert not SchoolAuthority.objects.filter(billing_incomplete_q()).exists()


@pytest.mark.parametrize(
    "changes, missing",
    [
        ({"street": ""}, "Straße und Hausnummer"),
        ({"postal_code": ""}, "PLZ"),
        ({"city": ""}, "Ort"),
        ({"email": ""}, "E-Mail für Rechnungen"),
        ({"leitweg_id": ""}, "Leitweg-ID (oder die Angabe, dass keine vorhanden ist)"),
    ],
)
def test_each_missing_item_is_named_and_listed(changes, missing):
    authority = complete(**changes)
    assert billing_missing(authority) == [missing]
    assert list(SchoolAuthority.objects.filter(billing_incomplete_q())) == [authority]


def test_no_leitweg_id_stated_explicitly_is_complete_and_gets_en16931():
    authority = complete(leitweg_id="", has_no_leitweg_id=True)
    assert billing_missing(authority) == []
    assert not SchoolAuthority.objects.filter(billing_incomplete_q()).exists()
    assert not uses_xrechnung(authority)
    assert uses_xrechnung(complete())


def test_leitweg_id_and_no_leitweg_id_together_are_refused():
    authority = complete(leitweg_id=LEITWEG, has_no_leitweg_id=True)
    with pytest.raises(ValidationError) as info:
        authority.full_clean()
    assert "has_no_leitweg_id" in info.value.message_dict


def test_a_wrong_leitweg_check_number_is_refused():
    authority = complete(leitweg_id="05315000-SCHULAMT1-83")
    with pytest.raises(ValidationError) as info:
        authority.full_clean()
    assert "erwartet: 82" in " ".join(info.value.message_dict["leitweg_id"])
