"""R9 corrections after payment: a paid or partly paid invoice is cancelled like
any other; the money received moves to the new invoice, and what exceeds it
becomes a credit to pay back. One transaction, audited."""

import datetime
from decimal import Decimal as D

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.urls import reverse

from invoicing.cancellation import invoice_cancel_and_reissue
from invoicing.drafts import invoice_create_draft
from invoicing.issuing import invoice_issue
from invoicing.models import Credit, Invoice, Payment
from invoicing.payments import credit_mark_paid_back, payment_record, payment_resolve
from licensing.models import Licence
from tests.factories import LicenceFactory, LicenceTermFactory

pytestmark = pytest.mark.django_db
ISSUE_DAY = datetime.date(2026, 8, 10)
PAID_ON = datetime.date(2026, 8, 20)
CORRECTED_ON = datetime.date(2026, 9, 1)


@pytest.fixture
def original(licence_year):
    """RE-2026-00001: three schools (100.00, 100.00, 33.35 net at 7 %), 249.68 gross."""
    return invoice_issue(invoice=invoice_create_draft(licence_year=licence_year), on=ISSUE_DAY)


def cancel(invoice, by=None):
    return invoice_cancel_and_reissue(
        invoice=invoice, by=by, reason="Schule falsch berechnet", on=CORRECTED_ON
    )


def drop_a_school(licence_year):
    """One 100.00 school was never meant to be on the order: 142.68 gross left."""
    licence = licence_year.terms.filter(net_price=D("100.00")).first().licence
    Licence.objects.filter(pk=licence.pk).update(status=Licence.Status.REJECTED)


def add_a_school(licence_year):
    """A school was missing: 356.68 gross (333.35 net, 23.33 VAT)."""
    licence = LicenceFactory(order=licence_year.order, status="active")
    LicenceTermFactory(licence=licence, year=licence_year, net_price=D("100.00"))


def test_paid_invoice_for_fewer_schools_is_paid_and_the_rest_is_a_credit(
    original, licence_year, publisher_user
):
    settled = payment_record(invoice=original, amount=D("249.68"), paid_on=PAID_ON)
    drop_a_school(licence_year)

    cancellation, new = cancel(original, by=publisher_user)

    original.refresh_from_db()
    assert original.status == Invoice.Status.CANCELLED
    assert cancellation.cancels == original
    assert cancellation.gross_total == D("-249.68")
    assert (new.number, new.issue_date, new.gross_total) == (
        "RE-2026-00003",
        CORRECTED_ON,
        D("142.68"),
    )
    assert (new.status, new.paid_at, new.prepaid_amount) == (
        Invoice.Status.PAID,
        PAID_ON,
        D("142.68"),
    )
    [moved] = new.payments.all()
    assert (moved.amount, moved.outcome, moved.paid_on) == (
        D("142.68"),
        Payment.Outcome.TRANSFERRED,
        PAID_ON,
    )
    assert moved.reference == "Übertrag von Rechnung RE-2026-00001"
    assert not moved.needs_attention
    [credit] = Credit.objects.all()
    assert (credit.amount, credit.status) == (D("107.00"), Credit.Status.OPEN)
    assert (credit.cancelled_invoice, credit.new_invoice, credit.authority) == (
        original,
        new,
        original.authority,
    )
    assert list(original.payments.all()) == [settled]  # the money received stays on record
    assert LogEntry.objects.get_for_object(credit).filter(action=LogEntry.Action.CREATE).exists()
    status_changes = LogEntry.objects.get_for_object(original).filter(action=LogEntry.Action.UPDATE)
    assert any(entry.changes.get("status") == ["paid", "cancelled"] for entry in status_changes)


def test_paid_invoice_for_more_schools_is_partly_paid_and_the_rest_settles_it(
    original, licence_year
):
    payment_record(invoice=original, amount=D("249.68"), paid_on=PAID_ON)
    add_a_school(licence_year)

    _cancellation, new = cancel(original)

    assert (new.status, new.gross_total, new.prepaid_amount) == (
        Invoice.Status.ISSUED,
        D("356.68"),
        D("249.68"),
    )
    assert new.status_label == "teilweise bezahlt (249,68 € von 356,68 €)"
    assert new.balance.remaining == D("107.00")
    assert not Credit.objects.exists()
    assert payment_record(invoice=new, amount=D("106.99"), paid_on=PAID_ON).outcome == "partial"
    assert payment_record(invoice=new, amount=D("107.01"), paid_on=PAID_ON).outcome == "excess"
    rest = payment_record(invoice=new, amount=D("107.00"), paid_on=CORRECTED_ON)
    new.refresh_from_db()
    assert rest.outcome == Payment.Outcome.SETTLED
    assert (new.status, new.paid_at) == (Invoice.Status.PAID, CORRECTED_ON)


def test_paid_invoice_reissued_unchanged_is_paid_without_credit(original):
    payment_record(invoice=original, amount=D("249.68"), paid_on=PAID_ON)

    _cancellation, new = cancel(original)

    assert (new.status, new.gross_total, new.prepaid_amount) == (
        Invoice.Status.PAID,
        D("249.68"),
        D("249.68"),
    )
    assert not Credit.objects.exists()


def test_partly_paid_invoice_moves_the_partial_payment_and_resolves_it(original):
    partial = payment_record(invoice=original, amount=D("100.00"), paid_on=PAID_ON)
    assert partial.needs_attention

    _cancellation, new = cancel(original)

    partial.refresh_from_db()
    assert not partial.needs_attention
    assert "RE-2026-00003" in partial.resolution_note
    assert (new.status, new.prepaid_amount) == (Invoice.Status.ISSUED, D("100.00"))
    assert new.status_label == "teilweise bezahlt (100,00 € von 249,68 €)"
    assert payment_record(invoice=new, amount=D("149.68"), paid_on=PAID_ON).outcome == "settled"


def test_money_staff_already_dealt_with_is_not_moved(original):
    partial = payment_record(invoice=original, amount=D("100.00"), paid_on=PAID_ON)
    payment_resolve(payment=partial, note="An den Käufer zurücküberwiesen")

    _cancellation, new = cancel(original)

    assert (new.status, new.number, new.prepaid_amount) == (Invoice.Status.DRAFT, None, D("0"))
    assert not new.payments.exists()
    assert not Credit.objects.exists()


def test_when_no_school_is_left_all_money_is_a_credit(original, licence_year):
    payment_record(invoice=original, amount=D("249.68"), paid_on=PAID_ON)
    Licence.objects.filter(order=licence_year.order).update(status=Licence.Status.REJECTED)

    _cancellation, new = cancel(original)

    assert new.is_draft
    [credit] = Credit.objects.all()
    assert (credit.amount, credit.new_invoice) == (D("249.68"), None)


def test_a_failure_leaves_nothing_written(original, licence_year, monkeypatch):
    payment_record(invoice=original, amount=D("249.68"), paid_on=PAID_ON)
    drop_a_school(licence_year)

    def broken(**kwargs):
        raise ValidationError("Regelprüfung fehlgeschlagen")

    monkeypatch.setattr("invoicing.cancellation.invoice_issue", broken)
    with pytest.raises(ValidationError):
        cancel(original)

    original.refresh_from_db()
    assert original.status == Invoice.Status.PAID
    assert Invoice.objects.count() == 1
    assert not Credit.objects.exists()


def test_credit_is_paid_back_once(original, licence_year, publisher_user):
    payment_record(invoice=original, amount=D("249.68"), paid_on=PAID_ON)
    drop_a_school(licence_year)
    cancel(original)
    credit = Credit.objects.get()

    credit_mark_paid_back(credit=credit, paid_back_on=CORRECTED_ON, by=publisher_user)

    credit.refresh_from_db()
    assert (credit.status, credit.paid_back_on) == (Credit.Status.PAID_BACK, CORRECTED_ON)
    with pytest.raises(ValidationError) as error:
        credit_mark_paid_back(credit=credit, paid_back_on=CORRECTED_ON)
    assert error.value.messages == [
        "Das Guthaben aus Rechnung RE-2026-00001 ist bereits zurückgezahlt."
    ]


def test_admin_cancels_a_paid_invoice_and_says_what_happened(
    original, licence_year, publisher_client
):
    payment_record(invoice=original, amount=D("249.68"), paid_on=PAID_ON)
    drop_a_school(licence_year)

    response = publisher_client.post(
        reverse("admin:invoicing_invoice_changelist"),
        {
            "action": "cancel_and_reissue",
            "_selected_action": [original.pk],
            "apply": "1",
            "reason": "Schule falsch berechnet",
        },
        follow=True,
    )

    text = " ".join(str(m) for m in response.context["messages"])
    assert "RE-2026-00001 storniert mit Stornorechnung RE-2026-00002" in text
    assert "neue Rechnung RE-2026-00003 gestellt" in text
    assert "107,00 € sind als Guthaben an den Käufer zurückzuzahlen." in text
    credits = publisher_client.get(reverse("admin:invoicing_credit_changelist"))
    assert "RE-2026-00001" in credits.content.decode()
