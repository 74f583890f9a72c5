"""DSGVO: contact persons anonymised after the retention period, invoices kept; export."""

import datetime
import hashlib
import json

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from invoicing.models import Invoice, InvoiceLine
from licensing.models import Order, OrderSchool
from licensing.privacy import contact_person_export, contacts_anonymise
from tests.audit.factories import InvoiceFactory, InvoiceLineFactory, issue
from tests.factories import LicenceYearFactory, OrderFactory, OrderSchoolFactory, UserFactory

TODAY = datetime.date(2028, 9, 1)


def ended_order(days_ago: int) -> Order:
    return OrderFactory(status=Order.Status.ENDED, ended_on=TODAY - datetime.timedelta(days_ago))


@pytest.mark.django_db
def test_contacts_of_orders_ended_past_retention_are_anonymised():
    old = OrderSchoolFactory(order=ended_order(366), contact_email="m.becker@schule.example.org")
    recent = OrderSchoolFactory(order=ended_order(364))
    running = OrderSchoolFactory(order=OrderFactory(status=Order.Status.CONFIRMED))
    rejected = OrderSchoolFactory(
        order=OrderFactory(
            status=Order.Status.REJECTED,
            rejected_at=timezone.make_aware(datetime.datetime(2027, 6, 1, 10)),
        )
    )

    assert contacts_anonymise(on=TODAY) == 2

    old.refresh_from_db()
    assert old.contact_first_name == "anonymisiert"
    assert old.contact_last_name == "anonymisiert"
    assert old.contact_email == f"anonymisiert-{old.pk}@invalid"
    assert old.contact_phone == ""
    assert old.contact_anonymised_at is not None
    rejected.refresh_from_db()
    assert rejected.contact_email == f"anonymisiert-{rejected.pk}@invalid"
    for untouched in (recent, running):
        untouched.refresh_from_db()
        assert untouched.contact_last_name == "Mustermann"
        assert untouched.contact_anonymised_at is None
    # Running it again finds nothing more to do.
    assert contacts_anonymise(on=TODAY) == 0


@pytest.mark.django_db
def test_retention_period_comes_from_settings(settings):
    settings.CONTACT_RETENTION_DAYS = 30
    row = OrderSchoolFactory(order=ended_order(31))

    assert contacts_anonymise(on=TODAY) == 1

    row.refresh_from_db()
    assert row.contact_first_name == "anonymisiert"


@pytest.mark.django_db
def test_anonymisation_leaves_invoices_and_their_files_intact():
    year = LicenceYearFactory(order=ended_order(400))
    OrderSchoolFactory(order=year.order)
    invoice = InvoiceFactory(licence_year=year, buyer_email="kasse@stadt.example")
    InvoiceLineFactory(invoice=invoice, school_name="Grundschule Am Park")
    pdf_bytes = b"%PDF-1.7 Rechnung RE-2026"
    invoice.pdf.save("rechnung.pdf", ContentFile(pdf_bytes))
    invoice.pdf_sha256 = hashlib.sha256(pdf_bytes).hexdigest()
    invoice.save()
    invoice = issue(invoice)
    before_invoice = Invoice.objects.filter(pk=invoice.pk).values().get()
    before_lines = list(InvoiceLine.objects.filter(invoice=invoice).values())

    assert contacts_anonymise(on=TODAY) == 1

    assert Invoice.objects.filter(pk=invoice.pk).values().get() == before_invoice
    assert list(InvoiceLine.objects.filter(invoice=invoice).values()) == before_lines
    invoice.refresh_from_db()
    with invoice.pdf.open("rb") as stored:
        assert hashlib.sha256(stored.read()).hexdigest() == invoice.pdf_sha256


@pytest.mark.django_db
def test_anonymisation_also_erases_the_contact_from_the_audit_trail():
    with set_actor(UserFactory(username="verlag")):
        row = OrderSchoolFactory(order=ended_order(400), contact_email="m.becker@schule.example")
        row.contact_phone = "0221 999999"
        row.save()

    contacts_anonymise(on=TODAY)

    for entry in LogEntry.objects.get_for_object(row):
        assert "m.becker@schule.example" not in json.dumps(entry.changes)
        assert "0221 999999" not in json.dumps(entry.changes)


@pytest.mark.django_db
def test_export_contains_everything_about_the_person():
    first = OrderSchoolFactory(
        contact_first_name="Maria",
        contact_last_name="Becker",
        contact_email="M.Becker@schule.example.org",
        contact_phone="0221 4711",
    )
    second = OrderSchoolFactory(contact_email="m.becker@schule.example.org")
    OrderSchoolFactory(contact_email="someone.else@schule.example.org")

    export = contact_person_export(email="m.becker@schule.example.org")

    assert len(export["entries"]) == 2
    entry = export["entries"][0]
    assert entry["contact_person"]["first_name"] == "Maria"
    assert entry["contact_person"]["last_name"] == "Becker"
    assert entry["contact_person"]["phone"] == "0221 4711"
    assert entry["school"]["school_number"] == first.school.school_number
    assert entry["school"]["name"] == first.school.name
    assert entry["order"]["id"] == first.order.pk
    assert entry["order"]["authority"] == first.order.authority.name
    assert export["entries"][1]["order"]["id"] == second.order.pk
    json.dumps(export)  # serialisable as it is downloaded


def test_staff_download_the_export_from_the_admin(publisher_client):
    row = OrderSchoolFactory(contact_first_name="Maria", contact_email="m.becker@schule.example")

    response = publisher_client.post(
        reverse("admin:licensing_orderschool_changelist"),
        {"action": "download_contact_person_export", "_selected_action": [row.pk]},
    )

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="datenauskunft.json"'
    data = json.loads(response.content)
    assert data["email"] == "m.becker@schule.example"
    assert data["entries"][0]["contact_person"]["first_name"] == "Maria"
    assert OrderSchool.objects.filter(pk=row.pk).exists()


@pytest.mark.django_db
def test_impressum_and_datenschutz_from_settings_linked_in_footer(client, settings):
    settings.SELLER = {**settings.SELLER, "name": "Schulbuchverlag Nord GmbH"}
    settings.DATA_PROTECTION_OFFICER = {
        "name": "Dr. Petra Schutz",
        "email": "dsb@verlag.example",
        "address": "Hafenstraße 1, 20457 Hamburg",
    }

    home = client.get(reverse("home")).content.decode()
    assert 'href="/impressum/"' in home and 'href="/datenschutz/"' in home

    impressum = client.get("/impressum/").content.decode()
    assert "Schulbuchverlag Nord GmbH" in impressum
    assert "Umsatzsteuer-Identifikationsnummer" in impressum

    privacy = client.get("/datenschutz/").content.decode()
    assert "Dr. Petra Schutz" in privacy
    assert "dsb@verlag.example" in privacy
    assert "365 Tage nach dem Ende oder der Ablehnung einer Bestellung anonymisiert" in privacy
    assert "8 Jahre" in privacy
