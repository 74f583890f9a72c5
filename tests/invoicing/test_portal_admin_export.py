import csv
import datetime
import hashlib
from decimal import Decimal as D
from io import BytesIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from invoicing.cancellation import invoice_cancel_and_reissue
from invoicing.drafts import invoice_create_draft
from invoicing.issuing import invoice_issue
from invoicing.models import Invoice, Payment, Refund
from invoicing.refunds import refund_create_for_superseded
from tests.factories import IndividualLicenceFactory
from tests.invoicing.conftest import make_licence_year

ISSUE_DAY = datetime.date(2026, 8, 10)


def issue(year):
    return invoice_issue(invoice=invoice_create_draft(licence_year=year), on=ISSUE_DAY)


def urls(invoice):
    args = [invoice.authority_id, invoice.pk]
    return {
        "pdf": reverse("invoicing:invoice_pdf", args=args),
        "xml": reverse("invoicing:invoice_xml", args=args),
        "xlsx": reverse("invoicing:invoice_breakdown", args=args),
    }


@pytest.mark.django_db
def test_list_shows_issued_and_overdue_but_never_drafts(staff_client, authority, licence_year):
    invoice = issue(licence_year)
    Invoice.objects.filter(pk=invoice.pk).update(overdue_since=datetime.date(2026, 9, 10))
    invoice_create_draft(licence_year=make_licence_year(authority=authority))

    response = staff_client.get(reverse("invoicing:invoice_list", args=[authority.pk]))

    content = response.content.decode()
    assert response.status_code == 200
    assert "RE-2026-00001" in content
    assert "überfällig seit 10.09.2026" in content
    assert "Entwurf" not in content
    dashboard = staff_client.get(reverse("portal:dashboard", args=[authority.pk]))
    assert "RE-2026-00001" in dashboard.content.decode()


@pytest.mark.django_db
def test_list_names_the_product_and_the_invoice_a_cancellation_cancels(
    staff_client, authority, licence_year
):
    first = issue(licence_year)
    cancellation, _draft = invoice_cancel_and_reissue(
        invoice=first, reason="Korrektur", on=ISSUE_DAY
    )

    content = staff_client.get(reverse("invoicing:invoice_list", args=[authority.pk])).content
    rows = content.decode().split("<tr>")

    (cancellation_row,) = [row for row in rows if f">{cancellation.number}</th>" in row]
    assert f"Stornorechnung zu {first.number}</td>" in cancellation_row
    assert f"<td>{first.order.product.name}</td>" in cancellation_row
    (first_row,) = [row for row in rows if f">{first.number}</th>" in row]
    assert "<td>Rechnung</td>" in first_row
    assert f"<td>{first.order.product.name}</td>" in first_row


@pytest.mark.django_db
def test_documents_are_served_unchanged_with_their_number_as_filename(staff_client, licence_year):
    invoice = issue(licence_year)

    pdf = staff_client.get(urls(invoice)["pdf"])
    xml = staff_client.get(urls(invoice)["xml"])

    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"] == 'attachment; filename="RE-2026-00001.pdf"'
    assert hashlib.sha256(pdf.content).hexdigest() == invoice.pdf_sha256
    assert xml["Content-Type"] == "application/xml"
    assert xml["Content-Disposition"] == 'attachment; filename="RE-2026-00001.xml"'
    assert hashlib.sha256(xml.content).hexdigest() == invoice.xml_sha256


@pytest.mark.django_db
def test_breakdown_lists_every_school_and_keeps_formula_like_text_as_text(
    staff_client, licence_year
):
    term = licence_year.terms.select_related("licence__school").first()
    term.licence.school.name = '=HYPERLINK("http://evil")'
    term.licence.school.save()
    invoice = issue(licence_year)

    response = staff_client.get(urls(invoice)["xlsx"])

    assert response["Content-Disposition"] == (
        'attachment; filename="RE-2026-00001-Kosten-je-Schule.xlsx"'
    )
    sheet = load_workbook(BytesIO(response.content)).active
    rows = list(sheet.iter_rows(min_row=5, max_row=7, values_only=True))
    assert [row[1] for row in rows] == list(invoice.lines.values_list("school_number", flat=True))
    evil = next(c for c in sheet["C"] if c.value == '=HYPERLINK("http://evil")')
    assert evil.data_type == "s"
    assert round(sum(row[6] for row in rows), 2) == 233.35


@pytest.mark.django_db
def test_other_authority_gets_404_for_everything(
    staff_client, other_client, authority, licence_year
):
    invoice = issue(licence_year)
    draft = invoice_create_draft(licence_year=make_licence_year(authority=authority))

    # As the other authority, through its own authority id and through ours.
    for url in urls(invoice).values():
        assert other_client.get(url).status_code == 404
    other_id = other_client.session and invoice.authority_id
    assert other_client.get(reverse("invoicing:invoice_list", args=[other_id])).status_code == 404
    # Drafts are invisible to the own authority too.
    for url in urls(draft).values():
        assert staff_client.get(url).status_code == 404


@pytest.mark.django_db
def test_foreign_invoice_through_own_authority_url_is_404(
    other_client, other_authority, licence_year
):
    invoice = issue(licence_year)

    for name in ("invoicing:invoice_pdf", "invoicing:invoice_xml", "invoicing:invoice_breakdown"):
        url = reverse(name, args=[other_authority.pk, invoice.pk])
        assert other_client.get(url).status_code == 404


# --- Admin ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_refuses_to_change_or_delete_an_issued_invoice(publisher_client, licence_year):
    invoice = issue(licence_year)
    change_url = reverse("admin:invoicing_invoice_change", args=[invoice.pk])

    page = publisher_client.get(change_url)
    publisher_client.post(change_url, {"buyer_name": "Geändert", "gross_total": "1.00"})
    delete = publisher_client.post(
        reverse("admin:invoicing_invoice_delete", args=[invoice.pk]), {"post": "yes"}
    )

    assert page.status_code == 200
    assert 'name="buyer_name"' not in page.content.decode()
    assert delete.status_code == 403
    invoice.refresh_from_db()
    assert invoice.buyer_name != "Geändert"
    assert invoice.gross_total == D("249.68")


@pytest.mark.django_db
def test_admin_issue_now_and_record_payment(publisher_client, licence_year):
    draft = invoice_create_draft(licence_year=licence_year)
    changelist = reverse("admin:invoicing_invoice_changelist")

    publisher_client.post(changelist, {"action": "issue_now", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == Invoice.Status.ISSUED

    form = publisher_client.post(
        changelist, {"action": "record_payment", "_selected_action": [draft.pk]}
    )
    assert "Zahlung zu RE-" in form.content.decode()
    publisher_client.post(
        changelist,
        {
            "action": "record_payment",
            "_selected_action": [draft.pk],
            "apply": "1",
            "amount": "100,00",
            "paid_on": "20.08.2026",
            "reference": "Teil",
        },
    )
    payment = Payment.objects.get()
    assert (payment.amount, payment.outcome) == (D("100.00"), Payment.Outcome.PARTIAL)


@pytest.mark.django_db
def test_admin_cancel_and_reissue_asks_for_a_reason(publisher_client, licence_year):
    invoice = issue(licence_year)
    changelist = reverse("admin:invoicing_invoice_changelist")

    page = publisher_client.post(
        changelist, {"action": "cancel_and_reissue", "_selected_action": [invoice.pk]}
    )
    assert "Grund der Stornierung" in page.content.decode()
    publisher_client.post(
        changelist,
        {
            "action": "cancel_and_reissue",
            "_selected_action": [invoice.pk],
            "apply": "1",
            "reason": "Schule doppelt",
        },
    )

    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.CANCELLED
    assert Invoice.objects.get(kind=Invoice.Kind.CANCELLATION).reason == "Schule doppelt"
    assert (
        publisher_client.get(reverse("admin:invoicing_cancellationinvoice_changelist")).status_code
        == 200
    )


# --- Export --------------------------------------------------------------------------


@pytest.mark.django_db
def test_export_writes_every_issued_document_unchanged_with_index(
    tmp_path, authority, django_capture_on_commit_callbacks
):
    first = issue(make_licence_year(authority=authority))
    cancellation, new = invoice_cancel_and_reissue(invoice=first, reason="Korrektur", on=ISSUE_DAY)
    invoice_create_draft(licence_year=make_licence_year(authority=authority))  # draft: not exported
    with django_capture_on_commit_callbacks(execute=True):  # documents after commit
        refund = refund_create_for_superseded(
            individual_licence=IndividualLicenceFactory(),
            bulk_start=datetime.date(2026, 8, 1),
            on=ISSUE_DAY,
        )
    refund.refresh_from_db()
    out = tmp_path / "archiv"

    call_command("export_invoices", year=2026, out=out)

    raw = (out / "index.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines(), delimiter=";"))
    assert rows[0][:4] == ["Nummer", "Art", "Datum", "Empfänger"]
    by_number = {row[0]: row for row in rows[1:]}
    assert set(by_number) == {"RE-2026-00001", "RE-2026-00002", "ER-2026-00001"}
    assert by_number["RE-2026-00002"][1] == "Stornorechnung"
    assert by_number["RE-2026-00002"][6] == "-107,00"
    assert by_number["RE-2026-00001"][7] == "storniert"
    for document in (
        Invoice.objects.get(pk=first.pk),
        cancellation,
        Refund.objects.get(pk=refund.pk),
    ):
        row = by_number[document.number]
        assert row[8:] == [
            f"{document.number}.pdf",
            document.pdf_sha256,
            f"{document.number}.xml",
            document.xml_sha256,
        ]
        assert hashlib.sha256((out / row[8]).read_bytes()).hexdigest() == document.pdf_sha256
        assert hashlib.sha256((out / row[10]).read_bytes()).hexdigest() == document.xml_sha256


@pytest.mark.django_db
def test_export_refuses_a_tampered_file(tmp_path, licence_year):
    invoice = issue(licence_year)
    with invoice.pdf.storage.open(invoice.pdf.name, "wb") as handle:
        handle.write(b"manipuliert")

    with pytest.raises(Exception, match="stimmt nicht mit ihrer Prüfsumme überein"):
        call_command("export_invoices", year=2026, out=tmp_path / "archiv")


@pytest.mark.django_db
def test_issued_refund_refuses_changes_and_admin_marks_it_paid_out(publisher_client):
    from invoicing.models import DocumentImmutableError

    refund = refund_create_for_superseded(
        individual_licence=IndividualLicenceFactory(), bulk_start=datetime.date(2026, 8, 1)
    )
    refund = Refund.objects.get(pk=refund.pk)
    refund.gross_amount = D("1.00")
    with pytest.raises(DocumentImmutableError):
        refund.save()
    with pytest.raises(DocumentImmutableError):
        Refund.objects.filter(pk=refund.pk).delete()

    changelist = reverse("admin:invoicing_refund_changelist")
    publisher_client.post(
        changelist,
        {
            "action": "mark_paid_out",
            "_selected_action": [refund.pk],
            "apply": "1",
            "paid_out_on": "01.09.2026",
        },
    )
    refund.refresh_from_db()
    assert (refund.status, refund.paid_out_at) == (
        Refund.Status.PAID_OUT,
        datetime.date(2026, 9, 1),
    )


@pytest.mark.django_db
def test_admin_resend_mails_the_documents_again(
    publisher_client, licence_year, django_capture_on_commit_callbacks
):
    from django.core import mail

    with django_capture_on_commit_callbacks(execute=True):
        invoice = issue(licence_year)
    with django_capture_on_commit_callbacks(execute=True):
        publisher_client.post(
            reverse("admin:invoicing_invoice_changelist"),
            {"action": "resend", "_selected_action": [invoice.pk]},
        )

    assert [m.subject.split(" –")[0] for m in mail.outbox] == ["Rechnung RE-2026-00001"] * 2
