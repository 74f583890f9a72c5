"""The whole life of one order across the three apps, as users and the nightly
worker drive it, with every amount recomputed here independently:

registration list → binding order → confirmation (activation, superseded
individual licence and its refund) → draft invoice → issued by the nightly run
(PDF + XRechnung to the buyer) → portal download → payment → renewal notice →
renewal at the new price → second invoice.
"""

import datetime
import io
import subprocess
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from lxml import etree
from openpyxl import load_workbook

from invoicing.models import Invoice, Refund
from invoicing.payments import payment_record
from licensing.confirmation import order_confirm
from licensing.models import IndividualLicence, Licence, Order
from licensing.terms import add_months, licence_year_end, next_year_start
from portal.nightly import run_nightly
from tests.factories import (
    IndividualLicenceFactory,
    PriceFactory,
    ProductFactory,
    SchoolFactory,
    SchoolTypeFactory,
)

pytestmark = pytest.mark.django_db

CENT = Decimal("0.01")
NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}


def half_up(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def xml_text(xml: bytes, path: str) -> str:
    return etree.fromstring(xml).xpath(f"string({path})", namespaces=NS)


@pytest.fixture
def world(authority):
    """Four Grundschulen (33.35 €) and two Gymnasien (149.99 €) at 7 % VAT, with
    new prices from the second licence year on; one school holds an individual
    licence with eight months left."""
    authority.leitweg_id = "991-33333TEST-33"
    authority.email = "rechnung@stadt.example"
    authority.save()
    today = timezone.localdate()
    gs = SchoolTypeFactory(key="02", name="Grundschule")
    gym = SchoolTypeFactory(key="20", name="Gymnasium")
    product = ProductFactory(code="bibox", name="BiBox Schullizenz", vat_rate=Decimal("7.00"))
    start = today + datetime.timedelta(days=3)
    second_year = next_year_start(licence_year_end(start))
    for school_type, old, new in ((gs, "33.35", "34.70"), (gym, "149.99", "155.00")):
        PriceFactory(
            product=product,
            school_type=school_type,
            valid_from=today - datetime.timedelta(days=400),
            bulk_price=Decimal(old),
        )
        PriceFactory(
            product=product, school_type=school_type, valid_from=second_year, bulk_price=new
        )
    schools = [
        SchoolFactory(authority=authority, school_type=gs, school_number=f"10000{i}")
        for i in range(1, 5)
    ] + [
        SchoolFactory(authority=authority, school_type=gym, school_number=f"20000{i}")
        for i in range(1, 3)
    ]
    individual = IndividualLicenceFactory(
        school=schools[0],
        product=product,
        start_date=add_months(today, 8) - datetime.timedelta(days=364),
        end_date=add_months(today, 8),
        paid_amount=Decimal("160.50"),
        vat_rate=Decimal("7.00"),
    )
    return {
        "product": product,
        "schools": schools,
        "start": start,
        "individual": individual,
    }


def submit_order_through_the_portal(client, authority, product) -> Order:
    template = client.get(reverse("licensing:order_template", args=[authority.pk, product.code]))
    workbook = load_workbook(io.BytesIO(template.content))
    sheet = workbook["Anmeldeliste"]
    header_row = next(row[0].row for row in sheet.iter_rows() if row[0].value == "Schulnummer")
    for row in range(header_row + 1, sheet.max_row + 1):
        number = sheet.cell(row=row, column=1).value
        if not number:
            continue
        sheet.cell(row=row, column=5, value="Maria")
        sheet.cell(row=row, column=6, value=f"Lehrerin {number}")
        sheet.cell(row=row, column=7, value=f"m.{number}@schule.example.org")
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = "Anmeldeliste.xlsx"
    response = client.post(
        reverse("licensing:order_upload", args=[authority.pk, product.code]), {"file": buffer}
    )
    assert response.status_code == 200 and response.has_header("Content-Location")
    assert "verbindlich bestellen" in response.content.decode().lower()  # the preview
    submit_url = response["Content-Location"].rstrip("/") + "/bestellen/"
    response = client.post(submit_url, {"accept_terms": "on"}, follow=True)
    assert response.status_code == 200
    return Order.objects.get(authority=authority)


def test_one_order_from_registration_list_to_renewal_invoice(
    staff_client, other_client, authority, world, django_capture_on_commit_callbacks
):
    product, schools, start = world["product"], world["schools"], world["start"]

    with django_capture_on_commit_callbacks(execute=True):
        order = submit_order_through_the_portal(staff_client, authority, product)
    assert order.status == Order.Status.SUBMITTED
    assert order.licences.filter(status=Licence.Status.PENDING).count() == 6

    # The publisher confirms: first licence year, activation, refund (R8).
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        year = order_confirm(order=order, start_date=start, by=None)
    assert (year.start_date, year.end_date) == (start, licence_year_end(start))
    activation = [m for m in mail.outbox if "m.100001@schule.example.org" in m.to]
    assert activation and "0531 708 86 86" in activation[0].body
    individual = IndividualLicence.objects.get(pk=world["individual"].pk)
    assert individual.status == IndividualLicence.Status.SUPERSEDED
    refund = Refund.objects.get(individual_licence=individual)
    term_days = (individual.end_date - individual.start_date).days + 1
    remaining = (individual.end_date - start).days + 1
    assert refund.gross_amount == half_up(Decimal("160.50") * remaining / term_days)
    assert refund.net_amount + refund.vat_amount == refund.gross_amount
    assert refund.number and refund.number.startswith("ER-")

    # The draft invoice: one line per school, VAT on the sum per rate.
    invoice = Invoice.objects.get(licence_year=year)
    assert invoice.status == Invoice.Status.DRAFT
    net = 4 * Decimal("33.35") + 2 * Decimal("149.99")
    vat = half_up(net * Decimal("0.07"))
    assert (invoice.net_total, invoice.vat_total, invoice.gross_total) == (net, vat, net + vat)
    assert invoice.lines.count() == 6

    # The nightly run a week later issues it and mails PDF + XRechnung.
    mail.outbox.clear()
    issue_day = start + datetime.timedelta(days=7)
    with django_capture_on_commit_callbacks(execute=True):
        summary = run_nightly(on=issue_day)
    assert summary.invoices_issued == 1 and summary.failures == 0
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.ISSUED
    assert invoice.number == f"RE-{issue_day.year}-00001"
    sent = [m for m in mail.outbox if m.to == ["rechnung@stadt.example"]]
    assert len(sent) == 1
    invoices_url = reverse("invoicing:invoice_list", args=[authority.pk])
    assert f"http://127.0.0.1:8000{invoices_url}" in sent[0].body
    assert sorted(name.rsplit(".", 1)[1] for name, _c, _t in sent[0].attachments) == [
        "pdf",
        "xml",
    ]

    # The authority downloads both from the portal; another authority cannot.
    pdf_url = reverse("invoicing:invoice_pdf", args=[authority.pk, invoice.pk])
    xml_url = reverse("invoicing:invoice_xml", args=[authority.pk, invoice.pk])
    pdf = staff_client.get(pdf_url).content
    xml = staff_client.get(xml_url).content
    assert other_client.get(pdf_url).status_code == 404
    assert other_client.get(xml_url).status_code == 404
    assert pdf.startswith(b"%PDF")
    assert xml_text(xml, "//ram:BuyerReference") == "991-33333TEST-33"
    assert Decimal(xml_text(xml, "//ram:GrandTotalAmount")) == net + vat
    assert Decimal(xml_text(xml, "//ram:TaxTotalAmount")) == vat
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    assert invoice.number in text
    for school in schools:
        assert school.school_number in text

    # One payment of exactly the gross amount settles it.
    payment_record(invoice=invoice, amount=net + vat, paid_on=issue_day, reference=invoice.number)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID

    # Renewal notice 42 days before the year ends, then the renewal at the new price.
    mail.outbox.clear()
    notice_day = year.end_date - datetime.timedelta(days=42)
    with django_capture_on_commit_callbacks(execute=True):
        assert run_nightly(on=notice_day).notices == 1
    notice = mail.outbox[0]
    assert "Verlängerung" in notice.subject
    order_url = reverse("orders:detail", args=[authority.pk, order.pk])
    assert f"Zur Bestellung: http://127.0.0.1:8000{order_url}" in notice.body

    renewal_day = next_year_start(year.end_date)
    with django_capture_on_commit_callbacks(execute=True):
        assert run_nightly(on=renewal_day).renewals == 1
    second = Invoice.objects.get(licence_year__order=order, licence_year__number=2)
    new_net = 4 * Decimal("34.70") + 2 * Decimal("155.00")
    assert second.net_total == new_net
    assert second.vat_total == half_up(new_net * Decimal("0.07"))
    second_issue_day = renewal_day + datetime.timedelta(days=7)
    with django_capture_on_commit_callbacks(execute=True):
        run_nightly(on=second_issue_day)
    second.refresh_from_db()
    # Numbers run per calendar year without gaps.
    expected = 2 if second_issue_day.year == issue_day.year else 1
    assert second.number == f"RE-{second_issue_day.year}-{expected:05d}"
