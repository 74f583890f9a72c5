"""The documents of a correction after payment: the new invoice shows the money
carried over from the cancelled one as paid (BT-113) and asks only for the rest
(BT-115), in the XML and in the PDF."""

import datetime
from decimal import Decimal as D

import pytest

from invoicing.cancellation import invoice_cancel_and_reissue
from invoicing.drafts import invoice_create_draft
from invoicing.einvoice import invoice_xml
from invoicing.einvoice_rules import check_business_rules
from invoicing.issuing import invoice_issue
from invoicing.payments import payment_record
from invoicing.pdf import render_invoice_pdf
from licensing.models import Licence
from tests.invoicing.test_einvoice import SUMS, en16931_schematron, value  # noqa: F401
from tests.invoicing.test_pdf import pdf_text

pytestmark = pytest.mark.django_db
ISSUE_DAY = datetime.date(2026, 8, 10)
PAID_ON = datetime.date(2026, 8, 20)


def corrected(licence_year, *, paid: str, drop_school: bool):
    """RE-2026-00001 (249.68) paid with ``paid``, cancelled; the new invoice."""
    original = invoice_issue(invoice=invoice_create_draft(licence_year=licence_year), on=ISSUE_DAY)
    payment_record(invoice=original, amount=D(paid), paid_on=PAID_ON)
    if drop_school:
        licence = licence_year.terms.filter(net_price=D("100.00")).first().licence
        Licence.objects.filter(pk=licence.pk).update(status=Licence.Status.REJECTED)
    _cancellation, new = invoice_cancel_and_reissue(
        invoice=original, reason="Korrektur", on=datetime.date(2026, 9, 1)
    )
    return new


def test_paid_in_full_by_the_cancelled_invoice(licence_year, en16931_schematron, tmp_path):  # noqa: F811
    new = corrected(licence_year, paid="249.68", drop_school=True)

    xml = invoice_xml(new)
    assert value(xml, SUMS + "ram:GrandTotalAmount") == "142.68"
    assert value(xml, SUMS + "ram:TotalPrepaidAmount") == "142.68"
    assert value(xml, SUMS + "ram:DuePayableAmount") == "0.00"
    assert b"zur stornierten Rechnung Nr. RE-2026-00001 angerechnet" in xml
    assert check_business_rules(xml) == []
    assert en16931_schematron(xml, tmp_path) == []
    text = pdf_text(render_invoice_pdf(new), tmp_path)
    assert "bereits gezahlt (zur stornierten Rechnung RE-2026-00001) – 142,68 €" in text
    assert "noch zu zahlen 0,00 €" in text
    assert "Bitte überweisen Sie nichts." in text


def test_partly_paid_asks_only_for_the_rest(licence_year, en16931_schematron, tmp_path):  # noqa: F811
    new = corrected(licence_year, paid="100.00", drop_school=False)

    xml = invoice_xml(new)
    assert value(xml, SUMS + "ram:TotalPrepaidAmount") == "100.00"
    assert value(xml, SUMS + "ram:DuePayableAmount") == "149.68"
    assert en16931_schematron(xml, tmp_path) == []
    text = pdf_text(render_invoice_pdf(new), tmp_path)
    assert "noch zu zahlen 149,68 €" in text
    assert "ohne Abzug: 149,68 €" in text


def test_an_invoice_without_carried_money_has_no_paid_amount(licence_year):
    invoice = invoice_issue(invoice=invoice_create_draft(licence_year=licence_year), on=ISSUE_DAY)

    xml = invoice_xml(invoice)

    assert value(xml, SUMS + "ram:TotalPrepaidAmount") == ""
    assert value(xml, SUMS + "ram:DuePayableAmount") == "249.68"
