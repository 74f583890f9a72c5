"""An order of a buyer whose billing data is incomplete cannot be confirmed (R9,
R10): authorities from the school directory come with a city only."""

import datetime
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from licensing.confirmation import order_confirm
from licensing.models import LicenceYear, Order
from licensing.selectors import orders_blocked_by_billing_data
from schools.models import SchoolAuthority
from tests.licensing.factories import priced_product, submitted_order
from tests.schools.test_import_schools import row, run_import

pytestmark = pytest.mark.django_db
D = datetime.date


def test_directory_imported_authority_cannot_be_confirmed_until_billing_data_complete(
    tmp_path: Path, set_today
):
    set_today(D(2026, 7, 10))
    run_import(tmp_path, row("100001", traeger="11150", ort="Werther (Westf.)"))
    authority = SchoolAuthority.objects.get(customer_number="11150")
    product, school_type = priced_product()
    order = submitted_order(authority=authority, product=product, school_type=school_type)

    with pytest.raises(ValidationError) as info:
        order_confirm(order=order, start_date=D(2026, 8, 1))
    message = info.value.messages[0]
    assert "kann nicht bestätigt werden" in message
    assert "es fehlt: Straße und Hausnummer, PLZ, E-Mail für Rechnungen, Leitweg-ID" in message
    order.refresh_from_db()
    assert order.status == Order.Status.SUBMITTED
    assert not LicenceYear.objects.exists()
    assert list(orders_blocked_by_billing_data()) == [order]

    authority.street, authority.postal_code = "Alte Bielefelder Str. 2", "33824"
    authority.email = "rechnung@werther.de"
    authority.save()
    with pytest.raises(ValidationError, match="es fehlt: Leitweg-ID"):
        order_confirm(order=order, start_date=D(2026, 8, 1))

    assert list(orders_blocked_by_billing_data()) == [order]
    authority.has_no_leitweg_id = True
    authority.save()
    assert list(orders_blocked_by_billing_data()) == []
    order_confirm(order=order, start_date=D(2026, 8, 1))
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED
