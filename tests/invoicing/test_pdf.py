"""Invoice and refund PDFs: what a reader finds in them (via pdftotext), the
embedded e-invoice, and page headers on long invoices."""

import gc
import re
import subprocess

import facturx
import pytest

from invoicing.einvoice import invoice_xml, refund_xml
from invoicing.pdf import render_invoice_pdf, render_refund_pdf
from tests.invoicing.factories import InvoiceFactory, RefundFactory, add_lines, cancellation_of

pytestmark = pytest.mark.django_db

MIXED = [("100.00", "7.00"), ("33.33", "19.00"), ("33.33", "19.00"), ("10.05", "7.00")]


def pdf_text(pdf: bytes, tmp_path, page: int | None = None) -> str:
    """The text in reading order row by row (the address window and the info block
    beside it share rows), whitespace collapsed."""
    path = tmp_path / "document.pdf"
    path.write_bytes(pdf)
    pages = ["-f", str(page), "-l", str(page)] if page else []
    text = subprocess.run(
        ["pdftotext", "-layout", *pages, str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    text = re.sub(r"\s+", " ", text.replace("\u00a0", " "))
    # pdftotext -layout sometimes drops the (non-breaking) space before "%".
    return re.sub(r"(\d)%", r"\1 %", text)


def page_count(pdf: bytes, tmp_path) -> int:
    path = tmp_path / "count.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True)
    return int(re.search(r"Pages:\s+(\d+)", info.stdout).group(1))


def test_invoice_pdf_shows_every_required_field(tmp_path):
    # A fixed product name: a factory sequence past 99 made the line wrap in the PDF.
    invoice = add_lines(InvoiceFactory(), MIXED, product="Digitales Lehrwerk 1")
    text = pdf_text(render_invoice_pdf(invoice), tmp_path)

    for expected in [
        # seller, with everything §14 UStG asks for
        "Westermann Bildungsmedien Verlag GmbH",
        "Georg-Westermann-Allee 66",
        "38104 Braunschweig",
        "Steuernummer: 13/200/12345",
        "USt-IdNr.: DE811181311",
        "Amtsgericht Braunschweig HRB 1234",
        "Geschäftsführung: Max Mustermann",
        # buyer address in the window
        "Stadt Musterstadt",
        "Schulverwaltungsamt",
        "Rathausplatz 1",
        "50667 Köln",
        # info block
        f"Rechnung {invoice.number}",
        f"Rechnungsnummer {invoice.number}",
        "Rechnungsdatum 10.08.2026",
        f"Kundennummer {invoice.buyer_customer_number}",
        "Leitweg-ID 05315000-SCHULAMT1-82",
        "Leistungszeitraum 01.08.2026 – 31.07.2027",
        # totals per rate and in all
        "7 % 110,05 € 7,70 € 117,75 €",
        "19 % 66,66 € 12,67 € 79,33 €",
        "Summe netto 176,71 €",
        "Umsatzsteuer gesamt 20,37 €",
        "Rechnungsbetrag brutto 197,08 €",
        # payment
        "Zahlbar in einer Zahlung bis 09.09.2026 ohne Abzug.",
        "IBAN DE02120300000000202051",
        "BIC BYLADEM1001",
        "Musterbank Braunschweig",
        "Seite 1 von 1",
    ]:
        assert expected in text, expected
    for line in invoice.lines.all():
        assert (
            f"{line.position} {line.school_number} {line.school_name} {line.product_name} "
            "01.08.26–31.07.27"
        ) in text


def test_invoice_without_leitweg_id_leaves_it_out(tmp_path):
    invoice = add_lines(
        InvoiceFactory(authority__leitweg_id="", buyer_leitweg_id=""), [("250.00", "19.00")]
    )
    text = pdf_text(render_invoice_pdf(invoice), tmp_path)
    assert "Leitweg-ID" not in text
    assert "Rechnungsbetrag brutto 297,50 €" in text


def test_invoice_pdf_embeds_the_same_xrechnung(tmp_path):
    invoice = add_lines(InvoiceFactory(), MIXED)
    pdf = render_invoice_pdf(invoice)

    filename, xml = facturx.get_xml_from_pdf(pdf, check_xsd=True)
    assert filename == "factur-x.xml"
    assert xml == invoice_xml(invoice)
    assert pdf.startswith(b"%PDF-")


def test_cancellation_pdf_names_the_cancelled_invoice(tmp_path):
    original = add_lines(InvoiceFactory(), MIXED)
    cancellation = cancellation_of(original, number="RE-2026-00042")
    pdf = render_invoice_pdf(cancellation)
    text = pdf_text(pdf, tmp_path)

    assert "Stornorechnung RE-2026-00042" in text
    assert f"zur Rechnung Nr. {original.number} vom 10.08.2026" in text
    assert "Stornobetrag brutto -197,08 €" in text
    assert "Zahlbar in einer Zahlung" not in text
    assert facturx.get_xml_from_pdf(pdf)[1] == invoice_xml(cancellation)


def test_refund_pdf_is_a_correction_addressed_to_the_school(tmp_path):
    refund = RefundFactory()
    pdf = render_refund_pdf(refund)
    text = pdf_text(pdf, tmp_path)

    for expected in [
        f"Rechnungskorrektur / Erstattung {refund.number}",
        f"Korrektur der Rechnung Nr. {refund.original_invoice_number} vom 02.01.2026",
        "Städt. Gymnasium Am Dom",
        "Domplatz 3",
        "50667 Köln",
        f"Schulnummer {refund.school.school_number}",
        "160,50 € (bezahlt, brutto) × 153 verbleibende Tage / 365 Tage der Laufzeit = 67,28 €",
        "Erstattung netto 62,88 €",
        "zzgl. USt 7 % (Satz der Originalrechnung) 4,40 €",
        "Erstattungsbetrag brutto 67,28 €",
        "Steuernummer: 13/200/12345",
        "USt-IdNr.: DE811181311",
        "Seite 1 von 1",
    ]:
        assert expected in text, expected
    assert "Gutschrift" not in text
    assert facturx.get_xml_from_pdf(pdf)[1] == refund_xml(refund)


def test_long_invoice_repeats_the_table_header_and_numbers_its_pages(tmp_path):
    invoice = add_lines(InvoiceFactory(), [("100.00", "7.00")] * 65)
    pdf = render_invoice_pdf(invoice)
    pages = page_count(pdf, tmp_path)
    assert pages >= 2

    second = pdf_text(pdf, tmp_path, page=2)
    assert f"Seite 2 von {pages}" in second
    assert "Pos. Schulnr. Schule Produkt Nutzungsjahr Netto" in second
    assert "Steuernummer: 13/200/12345" in second
    last = pdf_text(pdf, tmp_path, page=pages)
    assert "Rechnungsbetrag brutto 6.955,00 €" in last


def test_rendering_leaves_the_garbage_collector_settings_as_they_were():
    before = gc.get_threshold()
    render_invoice_pdf(add_lines(InvoiceFactory(), [("100.00", "7.00")]))
    assert gc.get_threshold() == before
