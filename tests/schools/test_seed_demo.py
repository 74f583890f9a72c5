from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from invoicing.models import Invoice
from licensing.models import Order
from schools.billing import billing_incomplete_q
from schools.models import SchoolAuthority

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for app in ("schools", "licensing", "invoicing", "auth")
        for model in apps.get_app_config(app).get_models()
    }


def test_seed_demo_creates_realistic_data_and_prints_the_logins():
    out = StringIO()

    call_command("seed_demo", stdout=out)

    text = out.getvalue()
    assert "Passwort für alle: Lizenz-Demo-2026" in text
    assert "Benutzer „koeln“" in text and "Benutzer „verlag“" in text
    koeln = SchoolAuthority.objects.get(customer_number="10182")
    assert koeln.name == "Stadt Köln"
    assert koeln.schools.filter(is_active=True).count() >= 100
    assert koeln.schools.values("school_type").distinct().count() >= 5
    kinds = set(SchoolAuthority.objects.values_list("kind", flat=True))
    assert {"city", "county", "municipality"} <= kinds
    assert get_user_model().objects.get(username="verlag").is_superuser
    assert get_user_model().objects.get(username="koeln").check_password("Lizenz-Demo-2026")
    assert "Zweiter Faktor für „verlag“: TOTP-Schlüssel" in text
    # An order waiting for the publisher and a running one with its issued invoice.
    assert Order.objects.get(authority__customer_number="10170").status == "submitted"
    # Every demo authority's billing data is complete except Vlotho's, whose
    # waiting order shows the blocked case.
    incomplete = SchoolAuthority.objects.filter(
        customer_number__in=["10182", "10170", "10686", "17980"]
    ).filter(billing_incomplete_q())
    assert [a.customer_number for a in incomplete] == ["17980"]
    assert Order.objects.get(authority__customer_number="17980").status == "submitted"
    running = Order.objects.get(authority__customer_number="10686")
    assert running.status == "confirmed"
    invoice = Invoice.objects.get(order=running)
    assert invoice.status == "issued" and invoice.pdf and invoice.xml


def test_demo_totp_code_matches_the_demo_device(settings):
    call_command("seed_demo", stdout=StringIO())
    settings.DEBUG = True
    out = StringIO()

    call_command("demo_totp_code", stdout=out)

    device = TOTPDevice.objects.get(user__username="verlag")
    assert device.verify_token(out.getvalue().strip())


def test_running_seed_demo_twice_duplicates_nothing():
    call_command("seed_demo", stdout=StringIO())
    first = counts()

    call_command("seed_demo", stdout=StringIO())

    assert counts() == first
