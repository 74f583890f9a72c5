import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from invoicing import drafts as invoice_drafts
from invoicing import refunds as invoice_refunds
from licensing.confirmation import order_confirm, order_reject, school_activate
from licensing.models import (
    IndividualLicence,
    Licence,
    LicenceTerm,
    LicenceYear,
    Order,
    OrderSchool,
    OutgoingMail,
)
from tests.factories import IndividualLicenceFactory, PriceFactory, SchoolTypeFactory
from tests.licensing.factories import order_schools, priced_product, submitted_order

pytestmark = pytest.mark.django_db
D = datetime.date


def test_confirm_starts_year_one_at_the_price_of_the_start_day_and_mails_each_school(
    set_today, publisher_user, django_capture_on_commit_callbacks
):
    set_today(D(2026, 7, 10))
    product, gs = priced_product(price="100.00")
    PriceFactory(product=product, school_type=gs, valid_from=D(2026, 8, 1), bulk_price="120.00")
    order = submitted_order(product=product, school_type=gs, schools=2)

    with django_capture_on_commit_callbacks(execute=True):
        year = order_confirm(order=order, start_date=D(2026, 8, 1), by=publisher_user)

    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED
    assert order.start_date == D(2026, 8, 1)
    assert order.confirmed_by == publisher_user
    assert (year.number, year.start_date, year.end_date) == (1, D(2026, 8, 1), D(2027, 7, 31))
    assert set(LicenceTerm.objects.values_list("net_price", flat=True)) == {Decimal("120.00")}
    assert set(Licence.objects.values_list("status", flat=True)) == {"active"}

    schools = order_schools(order)
    school_mails = [
        m for m in mail.outbox if "Bestätigung" not in m.subject and "bestätigt" not in m.subject
    ]
    assert len(mail.outbox) == 3 and len(school_mails) == 2
    assert sorted(m.to[0] for m in school_mails) == sorted(s.contact_email for s in schools)
    body = school_mails[0].body
    assert product.name in body
    assert "Nutzbar ab: 01.08.2026" in body
    assert "Ihre Schule wird zum 01.08.2026 freigeschaltet." in body
    assert "0531 708 86 86" in body
    assert "online-support@westermanngruppe.de" in body
    assert "www.webinare.schule" in body
    assert all(s.activated_at and s.activation_email_sent_at for s in order_schools(order))


def test_activation_mail_of_a_start_today_says_the_school_is_activated(
    set_today, django_capture_on_commit_callbacks
):
    set_today(D(2026, 9, 3))
    product, gs = priced_product()
    order = submitted_order(product=product, school_type=gs)

    with django_capture_on_commit_callbacks(execute=True):
        order_confirm(order=order, by=None)

    activation = next(m for m in mail.outbox if m.to == [order_schools(order)[0].contact_email])
    assert "Ihre Schule ist freigeschaltet." in activation.body
    assert "Nutzbar ab: 03.09.2026" in activation.body


def test_confirm_tells_the_buyer_start_schools_price_and_invoice_day(
    set_today, settings, django_capture_on_commit_callbacks
):
    settings.INVOICE_ISSUE_DELAY_DAYS = 10
    set_today(D(2026, 7, 10))
    product, gs = priced_product(price="100.00")
    PriceFactory(product=product, school_type=gs, valid_from=D(2026, 8, 1), bulk_price="120.00")
    order = submitted_order(product=product, school_type=gs, schools=2)

    with django_capture_on_commit_callbacks(execute=True):
        order_confirm(order=order, start_date=D(2026, 8, 1), by=None)

    buyer = [
        m for m in mail.outbox if set(m.to) == {order.submitted_by.email, order.authority.email}
    ]
    assert len(buyer) == 1
    assert buyer[0].subject == (
        f"Ihre Bestellung {order.pk} ({product.name}) ist bestätigt: Lizenzbeginn 01.08.2026"
    )
    html = buyer[0].alternatives[0][0]
    for body in (buyer[0].body, html):
        assert "Lizenzbeginn: 01.08.2026" in body
        assert "bis einschließlich 31.07.2027, für 2 Schulen" in body
        assert "256,80 €" in body  # 2 x 120.00 + 7 % VAT (the price of the start day)
        # Delay counted from the start (later than today): 01.08. + 10 days.
        assert "voraussichtlich am 11.08.2026" in body
        assert "Franziska Dorbert" in body
        assert "Support für Schulen" not in body
    invoice = order.invoices.get()
    assert invoice.issue_due_on == D(2026, 8, 11)
    assert str(invoice.gross_total) == "256.80"
    assert OutgoingMail.objects.filter(kind=OutgoingMail.Kind.CONFIRMATION).count() == 1


def test_confirm_defaults_to_today_and_refuses_a_past_start(set_today):
    set_today(D(2026, 9, 3))
    product, gs = priced_product()
    order = submitted_order(product=product, school_type=gs)

    with pytest.raises(ValidationError) as excinfo:
        order_confirm(order=order, start_date=D(2026, 9, 2), by=None)
    assert excinfo.value.messages == [
        "Der Lizenzbeginn 02.09.2026 liegt in der Vergangenheit. Bitte wählen Sie heute "
        "oder einen späteren Tag."
    ]

    year = order_confirm(order=order, by=None)
    assert year.start_date == D(2026, 9, 3)


def test_confirm_without_a_price_writes_nothing(set_today):
    set_today(D(2026, 7, 10))
    product, gs = priced_product(valid_from=D(2026, 9, 1))
    gym = SchoolTypeFactory(key="20", name="Gymnasium")
    order = submitted_order(product=product, school_type=gym)

    with pytest.raises(ValidationError) as excinfo:
        order_confirm(order=order, start_date=D(2026, 8, 1), by=None)

    assert excinfo.value.messages == [
        f"Für „{product.name}“ gibt es am 01.08.2026 keinen Preis für die Schulform "
        "Gymnasium. Bitte legen Sie zuerst den Preis an (Produkte → Preise); es wurde "
        "nichts gespeichert."
    ]
    order.refresh_from_db()
    assert order.status == Order.Status.SUBMITTED
    assert not LicenceYear.objects.exists()
    assert not OutgoingMail.objects.exists()


def test_confirm_supersedes_individual_licences_and_asks_for_refunds(set_today, monkeypatch):
    set_today(D(2026, 9, 1))
    product, gs = priced_product()
    order = submitted_order(product=product, school_type=gs, schools=2)
    first, second = order_schools(order)
    running = IndividualLicenceFactory(school=first.school, product=product)
    other_product = IndividualLicenceFactory(school=second.school)
    refunds = []
    monkeypatch.setattr(
        invoice_refunds,
        "refund_create_for_superseded",
        lambda *, individual_licence, bulk_start, on: refunds.append(
            (individual_licence.pk, bulk_start)
        ),
    )

    order_confirm(order=order, start_date=D(2026, 9, 30), by=None)

    running.refresh_from_db()
    assert running.status == IndividualLicence.Status.SUPERSEDED
    assert running.superseded_on == D(2026, 9, 30)
    assert running.superseded_by == Licence.objects.get(school=first.school)
    assert refunds == [(running.pk, D(2026, 9, 30))]
    other_product.refresh_from_db()
    assert other_product.status == IndividualLicence.Status.ACTIVE


def test_confirm_creates_the_draft_invoice_of_year_one(set_today, monkeypatch):
    set_today(D(2026, 9, 1))
    product, gs = priced_product()
    order = submitted_order(product=product, school_type=gs)
    drafts = []
    monkeypatch.setattr(
        invoice_drafts,
        "invoice_create_draft",
        lambda *, licence_year, on: drafts.append(licence_year),
    )
    year = order_confirm(order=order, by=None)
    assert drafts == [year]


def test_confirm_twice_is_refused():
    product, gs = priced_product()
    order = submitted_order(product=product, school_type=gs)
    order_confirm(order=order, by=None)
    with pytest.raises(ValidationError) as excinfo:
        order_confirm(order=order, by=None)
    assert "hat den Status „bestätigt“ und kann nicht bestätigt werden" in excinfo.value.messages[0]
    assert LicenceYear.objects.count() == 1


def test_reject_mails_the_reason_to_the_buyer(django_capture_on_commit_callbacks):
    product, gs = priced_product()
    order = submitted_order(product=product, school_type=gs)

    with pytest.raises(ValidationError):
        order_reject(order=order, reason="  ", by=None)
    with django_capture_on_commit_callbacks(execute=True):
        order_reject(order=order, reason="Die Schulen gehören zum Kreis Anderswo.", by=None)

    order.refresh_from_db()
    assert order.status == Order.Status.REJECTED
    assert set(Licence.objects.values_list("status", flat=True)) == {"rejected"}
    assert len(mail.outbox) == 1
    assert set(mail.outbox[0].to) == {order.submitted_by.email, order.authority.email}
    assert "Die Schulen gehören zum Kreis Anderswo." in mail.outbox[0].body
    assert "Franziska Dorbert" in mail.outbox[0].body
    assert f"/bestellungen/{order.pk}/" in mail.outbox[0].body
    assert mail.outbox[0].subject == (
        f"Ihre Bestellung {order.pk} ({product.name}) wurde abgelehnt"
    )


def test_activate_single_school_after_contact_change_mails_once(
    django_capture_on_commit_callbacks,
):
    product, gs = priced_product()
    order = submitted_order(product=product, school_type=gs, schools=1)
    with django_capture_on_commit_callbacks(execute=True):
        order_confirm(order=order, by=None)
    mail.outbox = [m for m in mail.outbox if "bestätigt" not in m.subject]  # the buyer's
    assert len(mail.outbox) == 1
    (entry,) = order_schools(order)
    first_address = entry.contact_email

    with django_capture_on_commit_callbacks(execute=True):
        school_activate(order_school=entry, by=None)
    assert len(mail.outbox) == 1  # the same address got it already

    OrderSchool.objects.filter(pk=entry.pk).update(contact_email="neu@schule.example.org")
    entry.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        school_activate(order_school=entry, by=None)
    assert [m.to for m in mail.outbox] == [[first_address], ["neu@schule.example.org"]]


def test_activate_school_of_unconfirmed_order_is_refused():
    product, gs = priced_product()
    order = submitted_order(product=product, school_type=gs, schools=1)
    (entry,) = order_schools(order)
    with pytest.raises(ValidationError) as excinfo:
        school_activate(order_school=entry, by=None)
    assert (
        "kann erst freigeschaltet werden, wenn ihre Bestellung bestätigt ist"
        in (excinfo.value.messages[0])
    )
