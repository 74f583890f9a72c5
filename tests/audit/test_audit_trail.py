"""Every change to the audited models is recorded with who, when and what."""

import datetime
from decimal import Decimal

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.db.models import ProtectedError
from django.urls import reverse

from invoicing.models import DocumentImmutableError
from licensing.models import Licence, Order
from tests.audit.factories import (
    InvoiceFactory,
    InvoiceLineFactory,
    PaymentFactory,
    RefundFactory,
    issue,
)
from tests.factories import (
    IndividualLicenceFactory,
    LicenceFactory,
    LicenceTermFactory,
    LicenceYearFactory,
    MembershipFactory,
    OrderFactory,
    OrderSchoolFactory,
    PriceFactory,
    ProductFactory,
    SchoolAuthorityFactory,
    SchoolFactory,
    UserFactory,
)

# (factory, field, new value) for each audited model.
CHANGES = [
    (SchoolAuthorityFactory, "name", "Stadt Neuss"),
    (SchoolFactory, "name", "Gesamtschule Nord"),
    (MembershipFactory, "authority", SchoolAuthorityFactory),
    (ProductFactory, "name", "Mathe digital"),
    (PriceFactory, "bulk_price", Decimal("120.00")),
    (OrderFactory, "status", Order.Status.REJECTED),
    (OrderSchoolFactory, "contact_email", "neu@schule.example.org"),
    (LicenceYearFactory, "end_date", datetime.date(2027, 7, 30)),
    (LicenceFactory, "status", Licence.Status.ACTIVE),
    (LicenceTermFactory, "net_price", Decimal("90.00")),
    (IndividualLicenceFactory, "end_date", datetime.date(2026, 11, 30)),
    (InvoiceFactory, "buyer_name", "Stadt Neuss – Schulamt"),  # a draft may change
    (InvoiceLineFactory, "school_name", "Gesamtschule Nord"),
    (PaymentFactory, "reference", "RE-2026-00001 Stadtkasse"),
    (RefundFactory, "recipient_name", "Förderverein der Schule"),
]


def as_logged(value) -> str:
    """auditlog writes a related object as its primary key."""
    return str(getattr(value, "pk", value))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("factory", "field", "value"), CHANGES, ids=[c[0]._meta.model.__name__ for c in CHANGES]
)
def test_creation_and_change_are_recorded_with_actor_and_fields(factory, field, value):
    editor = UserFactory(username="verlag-buchhaltung", is_staff=True)

    with set_actor(editor):
        obj = factory()
        old = getattr(obj, field)
        value = value() if callable(value) else value
        setattr(obj, field, value)
        obj.save()

    entries = LogEntry.objects.get_for_object(obj).order_by("timestamp", "pk")
    created, changed = list(entries)
    assert created.action == LogEntry.Action.CREATE
    assert changed.action == LogEntry.Action.UPDATE
    assert changed.actor == editor
    assert changed.timestamp is not None
    assert changed.changes_dict[field] == [as_logged(old), as_logged(value)]


def test_admin_change_records_the_logged_in_user(publisher_client, publisher_user):
    price = PriceFactory(bulk_price=Decimal("100.00"))
    url = reverse("admin:licensing_price_change", args=[price.pk])

    response = publisher_client.post(
        url,
        {
            "product": price.product.pk,
            "school_type": price.school_type.pk,
            "valid_from": "01.01.2020",
            "bulk_price": "110.00",
            "individual_price": "150.00",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = LogEntry.objects.get_for_object(price).get(action=LogEntry.Action.UPDATE)
    assert entry.actor == publisher_user
    assert entry.changes_dict["bulk_price"] == ["100.00", "110.00"]

    history = publisher_client.get(reverse("admin:auditlog_logentry_changelist"))
    assert history.status_code == 200


@pytest.mark.django_db
def test_orders_licences_and_invoices_cannot_be_hard_deleted():
    term = LicenceTermFactory()
    licence, order = term.licence, term.licence.order
    invoice = InvoiceFactory(licence_year=term.year)
    InvoiceLineFactory(invoice=invoice, licence=licence)
    issue(invoice)

    with pytest.raises(ProtectedError):
        Order.objects.filter(pk=order.pk).delete()
    with pytest.raises(ProtectedError):
        licence.delete()
    with pytest.raises((ProtectedError, DocumentImmutableError)):
        term.year.invoices.get().delete()

    assert Order.objects.filter(pk=order.pk).exists()


def test_admin_offers_no_delete_for_orders_licences_and_invoices(publisher_client):
    line = InvoiceLineFactory(invoice=InvoiceFactory(), licence=LicenceFactory())
    invoice, licence = issue(line.invoice), line.licence
    for url in [
        reverse("admin:licensing_order_delete", args=[licence.order.pk]),
        reverse("admin:licensing_licence_delete", args=[licence.pk]),
        reverse("admin:invoicing_invoice_delete", args=[invoice.pk]),
    ]:
        assert publisher_client.post(url, {"post": "yes"}).status_code == 403, url
