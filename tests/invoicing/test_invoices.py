import datetime
from decimal import Decimal as D

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from invoicing.cancellation import invoice_cancel_and_reissue
from invoicing.documents import document_read, sha256_hex
from invoicing.drafts import invoice_create_draft
from invoicing.issuing import invoice_issue, invoices_issue_due
from invoicing.models import DocumentImmutableError, Invoice, InvoiceLine
from invoicing.reminders import invoices_mark_overdue
from tests.factories import LicenceFactory, LicenceTermFactory, ProductFactory
from tests.invoicing.conftest import make_licence_year

ISSUE_DAY = datetime.date(2026, 8, 10)


@pytest.mark.django_db
def test_draft_has_one_line_per_school_and_totals_per_rate(
    authority, django_capture_on_commit_callbacks
):
    year = make_licence_year(authority=authority, prices=(D("33.35"),) * 3)
    product_19 = ProductFactory(vat_rate=D("19.00"))
    # A second product on the same year is not possible per order; mix rates through
    # a line of another product to check the per-rate totals on one invoice.
    licence = LicenceFactory(order=year.order, product=product_19, status="active")
    LicenceTermFactory(licence=licence, year=year, net_price=D("10.50"))

    invoice = invoice_create_draft(licence_year=year)

    assert invoice.status == Invoice.Status.DRAFT
    assert invoice.number is None
    assert invoice.lines.count() == 4
    line = invoice.lines.first()
    assert (line.period_start, line.period_end) == (year.start_date, year.end_date)
    # 100.05 at 7 % -> 7.0035 -> 7.00; 10.50 at 19 % -> 1.995 -> 2.00 (half up)
    assert (invoice.net_total, invoice.vat_total, invoice.gross_total) == (
        D("110.55"),
        D("9.00"),
        D("119.55"),
    )


@pytest.mark.django_db
def test_draft_is_idempotent_and_due_one_week_after_the_later_of_today_and_start(
    authority,
):
    start = datetime.date(2099, 1, 1)  # a future year start: issue a week after it
    year = make_licence_year(authority=authority, start=start)

    first = invoice_create_draft(licence_year=year)
    second = invoice_create_draft(licence_year=year)

    assert first.pk == second.pk
    assert Invoice.objects.filter(licence_year=year).count() == 1
    assert first.issue_due_on == datetime.date(2099, 1, 8)


@pytest.mark.django_db
def test_issue_delay_is_clamped_to_one_to_two_weeks(authority, settings):
    settings.INVOICE_ISSUE_DELAY_DAYS = 30
    year = make_licence_year(authority=authority, start=datetime.date(2099, 1, 1))

    assert invoice_create_draft(licence_year=year).issue_due_on == datetime.date(2099, 1, 15)


@pytest.mark.django_db
def test_issue_numbers_snapshots_stores_documents_and_mails_the_buyer(
    licence_year, authority, django_capture_on_commit_callbacks
):
    authority.leitweg_id = ""
    authority.has_no_leitweg_id = True
    authority.billing_department = "Schulverwaltungsamt"
    authority.save()
    draft = invoice_create_draft(licence_year=licence_year)

    with django_capture_on_commit_callbacks(execute=True):
        invoice = invoice_issue(invoice=draft, on=ISSUE_DAY)

    invoice.refresh_from_db()
    assert invoice.number == "RE-2026-00001"
    assert invoice.status == Invoice.Status.ISSUED
    assert invoice.issue_date == ISSUE_DAY
    assert invoice.due_date == datetime.date(2026, 9, 9)
    assert invoice.buyer_name == authority.name
    assert invoice.buyer_department == "Schulverwaltungsamt"
    assert invoice.seller["iban"] == "DE02120300000000202051"
    pdf = document_read(invoice.pdf)
    xml = document_read(invoice.xml)
    assert invoice.pdf_sha256 == sha256_hex(pdf)
    assert invoice.xml_sha256 == sha256_hex(xml)
    assert invoice.sent_at is not None
    [message] = mail.outbox
    assert message.to == [authority.email]
    assert message.subject.startswith("Rechnung RE-2026-00001")
    assert "zahlbar in einer Zahlung bis zum 09.09.2026" in message.body
    assert [(name, content) for name, content, _type in message.attachments] == [
        ("RE-2026-00001.pdf", pdf),
        ("RE-2026-00001.xml", xml),
    ]


@pytest.mark.django_db
def test_issuing_twice_is_refused(licence_year):
    invoice = invoice_issue(invoice=invoice_create_draft(licence_year=licence_year), on=ISSUE_DAY)

    with pytest.raises(ValidationError) as error:
        invoice_issue(invoice=invoice, on=ISSUE_DAY)
    assert error.value.messages == ["Die Rechnung RE-2026-00001 ist bereits gestellt."]


@pytest.mark.django_db
def test_nightly_issue_takes_due_drafts_once_and_numbers_them_without_gaps(
    authority, django_capture_on_commit_callbacks
):
    years = [make_licence_year(authority=authority) for _ in range(3)]
    drafts = [invoice_create_draft(licence_year=y) for y in years]
    Invoice.objects.filter(pk=drafts[2].pk).update(issue_due_on=datetime.date(2099, 1, 1))

    with django_capture_on_commit_callbacks(execute=True):
        assert invoices_issue_due(on=datetime.date(2098, 12, 31)).count == 2
        assert invoices_issue_due(on=datetime.date(2098, 12, 31)).count == 0
        assert invoices_issue_due(on=datetime.date(2099, 1, 1)).count == 1

    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == ["RE-2098-00001", "RE-2098-00002", "RE-2099-00001"]
    assert len(mail.outbox) == 3


@pytest.mark.django_db
def test_a_draft_follows_corrections_until_it_is_issued(licence_year):
    draft = invoice_create_draft(licence_year=licence_year)
    licence = LicenceFactory(order=licence_year.order, status="active")
    LicenceTermFactory(licence=licence, year=licence_year, net_price=D("50.00"))

    invoice = invoice_issue(invoice=draft, on=ISSUE_DAY)

    assert invoice.lines.count() == 4
    assert invoice.net_total == D("283.35")


@pytest.mark.django_db
def test_issued_invoice_refuses_changes_and_deletion_in_code(licence_year):
    invoice = invoice_issue(invoice=invoice_create_draft(licence_year=licence_year), on=ISSUE_DAY)
    invoice = Invoice.objects.get(pk=invoice.pk)

    invoice.buyer_name = "Jemand anderes"
    with pytest.raises(DocumentImmutableError):
        invoice.save()
    invoice.refresh_from_db()
    with pytest.raises(DocumentImmutableError):
        invoice.delete()
    with pytest.raises(DocumentImmutableError):
        Invoice.objects.filter(pk=invoice.pk).update(gross_total=D("1.00"))
    with pytest.raises(DocumentImmutableError):
        Invoice.objects.filter(pk=invoice.pk).delete()
    line = invoice.lines.first()
    line.net_amount = D("1.00")
    with pytest.raises(DocumentImmutableError):
        line.save()
    with pytest.raises(DocumentImmutableError):
        InvoiceLine.objects.filter(invoice=invoice).delete()
    invoice.pdf.name = "belege/anderes.pdf"
    with pytest.raises(DocumentImmutableError):
        invoice.save()

    fresh = Invoice.objects.get(pk=invoice.pk)
    assert fresh.buyer_name != "Jemand anderes"
    assert fresh.lines.count() == 3
    assert fresh.net_total == D("233.35")


@pytest.mark.django_db
def test_cancel_and_reissue(licence_year, django_capture_on_commit_callbacks):
    original = invoice_issue(invoice=invoice_create_draft(licence_year=licence_year), on=ISSUE_DAY)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        cancellation, new = invoice_cancel_and_reissue(
            invoice=original, by=None, reason="Falsche Schule berechnet", on=ISSUE_DAY
        )

    original.refresh_from_db()
    assert original.status == Invoice.Status.CANCELLED
    assert cancellation.kind == Invoice.Kind.CANCELLATION
    assert cancellation.number == "RE-2026-00002"
    assert cancellation.cancels == original
    assert cancellation.reason == "Falsche Schule berechnet"
    assert cancellation.gross_total == -original.gross_total
    assert sum(line.net_amount for line in cancellation.lines.all()) == -original.net_total
    assert cancellation.pdf_sha256
    assert new.status == Invoice.Status.DRAFT
    assert new.licence_year == licence_year
    assert new.number is None
    assert new.issue_due_on == ISSUE_DAY + datetime.timedelta(days=7)
    [message] = mail.outbox
    assert message.subject == "Stornorechnung RE-2026-00002 zu Rechnung RE-2026-00001"

    reissued = invoice_issue(invoice=new, on=ISSUE_DAY)
    assert reissued.number == "RE-2026-00003"
    with pytest.raises(ValidationError) as error:
        invoice_cancel_and_reissue(invoice=original, by=None, reason="nochmal", on=ISSUE_DAY)
    assert error.value.messages == ["Die Rechnung RE-2026-00001 ist bereits storniert."]


@pytest.mark.django_db
def test_cancel_needs_a_reason(licence_year):
    original = invoice_issue(invoice=invoice_create_draft(licence_year=licence_year), on=ISSUE_DAY)

    with pytest.raises(ValidationError) as error:
        invoice_cancel_and_reissue(invoice=original, by=None, reason="  ")

    assert error.value.messages == ["Bitte geben Sie den Grund der Stornierung an."]
    assert Invoice.objects.count() == 1


@pytest.mark.django_db
def test_overdue_marked_and_reminded_once(licence_year, django_capture_on_commit_callbacks):
    invoice = invoice_issue(invoice=invoice_create_draft(licence_year=licence_year), on=ISSUE_DAY)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert invoices_mark_overdue(on=invoice.due_date).count == 0
    assert mail.outbox == []

    day_after = invoice.due_date + datetime.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert invoices_mark_overdue(on=day_after).count == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert invoices_mark_overdue(on=day_after + datetime.timedelta(days=1)).count == 0

    invoice.refresh_from_db()
    assert invoice.overdue_since == day_after
    assert invoice.reminder_sent_at is not None
    assert invoice.status_label == f"überfällig seit {day_after:%d.%m.%Y}"
    [reminder] = mail.outbox
    assert reminder.subject == "Freundliche Zahlungserinnerung zu Rechnung RE-2026-00001"
    assert "war am 09.09.2026 fällig" in reminder.body


@pytest.mark.django_db
def test_issue_keeps_an_unchanged_draft_as_it_is_and_rebuilds_a_corrected_one(
    authority, django_capture_on_commit_callbacks
):
    unchanged = invoice_create_draft(licence_year=make_licence_year(authority=authority))
    corrected_year = make_licence_year(authority=authority, prices=(D("100.00"), D("50.00")))
    corrected = invoice_create_draft(licence_year=corrected_year)
    line_ids = {
        inv.pk: list(inv.lines.values_list("pk", flat=True)) for inv in (unchanged, corrected)
    }
    term = corrected_year.terms.get(net_price=D("50.00"))
    term.net_price = D("60.00")
    term.save()

    with django_capture_on_commit_callbacks(execute=True):
        invoice_issue(invoice=unchanged, on=ISSUE_DAY)
        invoice_issue(invoice=corrected, on=ISSUE_DAY)

    assert list(unchanged.lines.values_list("pk", flat=True)) == line_ids[unchanged.pk]
    assert list(corrected.lines.values_list("pk", flat=True)) != line_ids[corrected.pk]
    corrected.refresh_from_db()
    assert sorted(corrected.lines.values_list("net_amount", flat=True)) == [D("60.00"), D("100.00")]
    assert corrected.net_total == D("160.00")
