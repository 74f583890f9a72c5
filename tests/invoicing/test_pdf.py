"""Invoice and refund PDFs: what a reader finds in them (via pdftotext), the
embedded e-invoice, and page headers on long invoices."""

import datetime
import gc
import io
import re
import subprocess
import zlib

import facturx
import pytest
from django.utils import timezone
from lxml import etree
from pypdf import PdfReader

from invoicing import einvoice as einvoice_module
from invoicing import pdf as pdf_module
from invoicing.einvoice import XRECHNUNG_GUIDELINE, invoice_xml, refund_xml
from invoicing.pdf import einvoice_profile, render_invoice_pdf, render_refund_pdf
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
        "Diese Rechnung liegt auch als elektronische Rechnung (XRechnung, EN 16931) vor",
    ]:
        assert expected in text, expected
    # The product and the year once in the heading, one compact row per school.
    assert "Digitales Lehrwerk 1 – Nutzungsjahr 01.08.2026 – 31.07.2027" in text
    assert "Schulnummer und Schule Nutzungsjahr USt Netto" in text
    for line in invoice.lines.all():
        net = f"{line.net_amount}".replace(".", ",")
        assert (
            f"{line.school_number} {line.school_name} 01.08.26–31.07.27 "
            f"{line.vat_rate.normalize():f} % {net} €"
        ) in text
    assert text.count("Digitales Lehrwerk 1") == 2  # the greeting and the heading


def test_one_rate_invoice_states_its_vat_in_the_sums_without_a_rate_table(tmp_path):
    invoice = add_lines(InvoiceFactory(), [("100.00", "7.00"), ("10.05", "7.00")])
    text = pdf_text(render_invoice_pdf(invoice), tmp_path)

    for expected in [
        "Summe netto 110,05 €",
        "zzgl. USt 7 % auf 110,05 € 7,70 €",
        "Umsatzsteuer gesamt 7,70 €",
        "Rechnungsbetrag brutto 117,75 €",
    ]:
        assert expected in text, expected
    assert "USt-Satz" not in text
    assert (
        "an Ihren Schulen im Nutzungsjahr 01.08.2026 – 31.07.2027 berechnen wir Ihnen (2 Schulen):"
        in text
    )
    # With two rates the table of rates is there (test above).
    mixed = pdf_text(render_invoice_pdf(add_lines(InvoiceFactory(), MIXED)), tmp_path)
    assert "USt-Satz Netto USt Brutto" in mixed


def test_one_school_invoice_speaks_of_one_school(tmp_path):
    text = pdf_text(render_invoice_pdf(add_lines(InvoiceFactory(), [("100.00", "7.00")])), tmp_path)
    assert "an Ihrer Schule im Nutzungsjahr" in text
    assert "(1 Schule):" in text
    assert "Schulen" not in text.split("Schulnummer")[0]


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
    assert filename == "xrechnung.xml"
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
        "USt 7 % (Satz der Originalrechnung) 4,40 €",
        "Erstattungsbetrag brutto 67,28 €",
        "Steuernummer: 13/200/12345",
        "USt-IdNr.: DE811181311",
        "Seite 1 von 1",
    ]:
        assert expected in text, expected
    assert "Gutschrift" not in text
    assert "zzgl." not in text  # the refund is a gross amount: its VAT is included
    assert (
        "Den Betrag von 67,28 € überweisen wir, sobald uns das Konto der Schule vorliegt: "
        "bitte geben Sie Kontoinhaber und IBAN über den Link in der E-Mail zu diesem "
        "Schreiben an." in text
    )
    assert facturx.get_xml_from_pdf(pdf)[1] == refund_xml(refund)


def test_long_invoice_repeats_the_table_header_and_numbers_its_pages(tmp_path):
    invoice = add_lines(InvoiceFactory(), [("100.00", "7.00")] * 65)
    pdf = render_invoice_pdf(invoice)
    pages = page_count(pdf, tmp_path)
    assert pages >= 2

    second = pdf_text(pdf, tmp_path, page=2)
    assert f"Seite 2 von {pages}" in second
    assert "Schulnummer und Schule Nutzungsjahr Netto" in second
    assert "Steuernummer: 13/200/12345" in second
    last = pdf_text(pdf, tmp_path, page=pages)
    assert "Rechnungsbetrag brutto 6.955,00 €" in last


def test_rendering_leaves_the_garbage_collector_settings_as_they_were():
    before = gc.get_threshold()
    render_invoice_pdf(add_lines(InvoiceFactory(), [("100.00", "7.00")]))
    assert gc.get_threshold() == before


XMP = {
    "fx": "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
    "pdfaSchema": "http://www.aiim.org/pdfa/ns/schema#",
}


def embedding(pdf: bytes) -> tuple[dict, dict, list]:
    """The ``fx`` XMP values, the attachments and the catalog's associated files."""
    reader = PdfReader(io.BytesIO(pdf))
    catalog = reader.trailer["/Root"]
    xmp = etree.fromstring(catalog["/Metadata"].get_object().get_data())
    assert len(xmp.xpath("//rdf:RDF", namespaces=XMP)) == 1
    assert xmp.xpath("//rdf:Description/@pdfaid:part", namespaces=XMP) == ["3"]
    assert xmp.xpath("//pdfaSchema:prefix/text()", namespaces=XMP) == ["fx"]
    values = {
        name: xmp.xpath(f"//fx:{name}/text()", namespaces=XMP)
        for name in ("DocumentType", "DocumentFileName", "Version", "ConformanceLevel")
    }
    files = [entry.get_object() for entry in catalog["/AF"]]
    return values, dict(reader.attachments), files


def test_xrechnung_is_embedded_under_the_xrechnung_profile():
    invoice = add_lines(InvoiceFactory(), MIXED)
    values, attachments, files = embedding(render_invoice_pdf(invoice))

    assert values == {
        "DocumentType": ["INVOICE"],
        "DocumentFileName": ["xrechnung.xml"],
        "Version": ["3.0"],
        "ConformanceLevel": ["XRECHNUNG"],
    }
    assert attachments == {"xrechnung.xml": [invoice_xml(invoice)]}
    assert len(files) == 1
    assert files[0]["/AFRelationship"] == "/Alternative"
    assert files[0]["/EF"]["/F"].get_object()["/Subtype"] == "/text/xml"


def test_the_embedded_files_dates_are_the_moment_in_utc():
    # The process runs in TIME_ZONE (Europe/Berlin, UTC+1/+2); the dates say "Z".
    before = timezone.now().replace(microsecond=0)
    _values, _attachments, files = embedding(render_invoice_pdf(add_lines(InvoiceFactory(), MIXED)))
    after = timezone.now()

    params = files[0]["/EF"]["/F"].get_object()["/Params"]
    for key in ("/CreationDate", "/ModDate"):
        written = datetime.datetime.strptime(params[key], "D:%Y%m%d%H%M%SZ").replace(
            tzinfo=datetime.UTC
        )
        assert before <= written <= after, (key, params[key], before)


def test_refund_credit_note_is_embedded_under_the_en16931_profile():
    # The school it pays back to has no Leitweg-ID: an EN 16931 credit note (R10).
    refund = RefundFactory()
    values, attachments, _files = embedding(render_refund_pdf(refund))

    assert values["ConformanceLevel"] == ["EN 16931"]
    assert attachments == {"factur-x.xml": [refund_xml(refund)]}


def test_invoice_to_a_buyer_without_leitweg_id_is_embedded_under_the_en16931_profile(tmp_path):
    invoice = add_lines(
        InvoiceFactory(
            authority__leitweg_id="", authority__has_no_leitweg_id=True, buyer_leitweg_id=""
        ),
        MIXED,
    )
    pdf = render_invoice_pdf(invoice)
    values, attachments, _files = embedding(pdf)

    assert values["ConformanceLevel"] == ["EN 16931"]
    assert attachments == {"factur-x.xml": [invoice_xml(invoice)]}
    text = pdf_text(pdf, tmp_path)
    assert "als elektronische Rechnung (ZUGFeRD / Factur-X, EN 16931) vor" in text
    assert "XRechnung" not in text


def test_en16931_xml_is_embedded_under_the_en16931_profile(monkeypatch):
    # A buyer without Leitweg-ID gets a plain EN 16931 (Factur-X) invoice: the
    # profile follows the guideline id of the XML, whatever wrote it.
    invoice = add_lines(InvoiceFactory(), MIXED)
    xml = invoice_xml(invoice).replace(XRECHNUNG_GUIDELINE.encode(), b"urn:cen.eu:en16931:2017")
    monkeypatch.setattr(pdf_module, "document_xml", lambda document: xml)
    values, attachments, files = embedding(render_invoice_pdf(invoice))

    assert values["ConformanceLevel"] == ["EN 16931"]
    assert values["DocumentFileName"] == ["factur-x.xml"]
    assert values["Version"] == ["1.0"]
    assert attachments == {"factur-x.xml": [xml]}
    assert files[0]["/AFRelationship"] == "/Data"


def test_a_guideline_id_without_a_known_profile_is_refused():
    invoice = add_lines(InvoiceFactory(), MIXED)
    xml = invoice_xml(invoice).replace(XRECHNUNG_GUIDELINE.encode(), b"urn:example:own-profile")
    with pytest.raises(ValueError):
        einvoice_profile(xml)


def test_refund_letter_names_the_payout_account_when_known(monkeypatch, tmp_path):
    monkeypatch.setattr(
        pdf_module, "refund_payout_account", lambda refund: "Förderverein, DE02 **** 2051"
    )
    text = pdf_text(render_refund_pdf(RefundFactory()), tmp_path)

    assert (
        "Den Betrag von 67,28 € überweisen wir auf das Konto Förderverein, DE02 **** 2051." in text
    )
    assert "sobald uns das Konto" not in text


def test_the_stored_pdf_embeds_the_stored_xml_byte_for_byte(monkeypatch):
    # The worker writes the XML once and hands it to the PDF (issue_documents).
    import sys

    import invoicing
    from invoicing.documents import document_read
    from invoicing.issue_documents import invoice_documents_store

    for name, module in (("pdf", pdf_module), ("einvoice", einvoice_module)):
        monkeypatch.setitem(sys.modules, f"invoicing.{name}", module)
        monkeypatch.setattr(invoicing, name, module, raising=False)
    invoice = add_lines(InvoiceFactory(), MIXED)

    stored, made = invoice_documents_store(invoice_id=invoice.pk)

    assert made
    xml = document_read(stored.xml)
    assert xml == invoice_xml(invoice)
    _values, attachments, _files = embedding(document_read(stored.pdf))
    assert attachments == {"xrechnung.xml": [xml]}


def test_pdf_streams_are_compressed_at_zlib_level_6_not_9():
    # pydyf writes every stream at level 9; level 6 takes a third of the time for
    # text-like data (pdf.PDF_COMPRESS_LEVEL). The embedded XML shows which was used.
    invoice = add_lines(InvoiceFactory(), MIXED * 20)
    xml = invoice_xml(invoice)
    _values, _attachments, files = embedding(render_invoice_pdf(invoice, xml=xml))
    stream = files[0]["/EF"]["/F"].get_object()

    assert stream.get_data() == xml
    assert stream._data == zlib.compress(xml, 6)
    assert zlib.compress(xml, 6) != zlib.compress(xml, 9)


def _without_dates(pdf: bytes) -> bytes:
    """The PDF without what changes from one second to the next: the embedded
    file's dates and the document id WeasyPrint derives from the content."""
    pdf = re.sub(rb"D:\d{14}Z", b"D:-", pdf)
    return re.sub(rb"/ID \[\([0-9a-f]+\) \([0-9a-f]+\)\]", b"/ID -", pdf)


def test_lines_drawn_faster_are_the_pdf_weasyprint_draws(monkeypatch):
    # pdf._draw_first_line writes a line of plain text as WeasyPrint 70 does; a
    # line it does not take (here a glyph none of the fonts has) WeasyPrint draws.
    names = [
        "Schule & Söhne <Am \"Park\"> 'Nord' – ßÄÖÜäöü €",
        "Grundschule \u4e2d\U0001f600 Sonderzeichen",
        "Städtische Gemeinschaftsgrundschule mit einem sehr langen Namen am Stadtpark Süd",
    ] * 12
    invoice = add_lines(InvoiceFactory(), MIXED * 9, names=names)
    fast = pdf_module._draw_first_line
    drawn = {"faster": 0, "by WeasyPrint": 0}

    def counted(*args):
        lines = fast(*args)
        drawn["by WeasyPrint" if lines is None else "faster"] += 1
        return lines

    cancellation, refund = cancellation_of(invoice), RefundFactory()

    def render_all():
        return [
            _without_dates(render_invoice_pdf(invoice)),
            _without_dates(render_invoice_pdf(cancellation)),
            _without_dates(render_refund_pdf(refund)),
        ]

    monkeypatch.setattr(pdf_module, "_draw_first_line", counted)
    faster = render_all()
    # None drawn faster: a WeasyPrint release not in pdf._FAST_DRAWING_VERSIONS
    # (compare its draw_first_line with pdf._draw_first_line before adding it).
    assert drawn["faster"] > 100, drawn
    assert drawn["by WeasyPrint"] >= 1, drawn
    monkeypatch.setattr(pdf_module, "_draw_first_line", lambda *args: None)

    assert faster == render_all()


ODD_NAMES = [
    "Schule & Söhne <Am \"Park\"> 'Nord' – ßÄÖÜäöü € &amp; &#x27;",
    "Grundschule\u00a0am\tWeiher \u4e2d\U0001f600",
    "  Leerzeichen  vorn und hinten  ",
]


def test_rows_put_into_the_parsed_letter_are_the_tree_the_parser_makes(monkeypatch):
    # The lines tables' rows skip the HTML parser (pdf._rows_as_slots): the
    # letter's tree and PDF must be the ones the parser makes from all rows.
    from xml.etree import ElementTree

    from django.template.loader import render_to_string

    invoice = add_lines(InvoiceFactory(), MIXED * 3, names=ODD_NAMES * 4)
    context = {**pdf_module.invoice_context(invoice), "einvoice_format": "XRechnung"}
    group = context["line_groups"][0]
    second = {**group, "product": "Zweites Produkt", "table": {**group["table"]}}
    second["table"]["rows"] = group["table"]["rows"][:5]
    context["line_groups"] = [group, second]
    slotted, rows = pdf_module._rows_as_slots(context)
    assert rows == [group["table"]["rows"], second["table"]["rows"]]
    letter = pdf_module._html_class()
    template = "invoicing/pdf/invoice.html"

    parsed = letter(string=render_to_string(template, context)).etree_element
    filled = letter(string=render_to_string(template, slotted), rows=rows).etree_element

    assert ElementTree.tostring(filled) == ElementTree.tostring(parsed)
    assert "\ue000" not in ElementTree.tostring(filled, encoding="unicode")
    made = _without_dates(render_invoice_pdf(invoice))
    monkeypatch.setattr(pdf_module, "_rows_as_slots", lambda context: (context, None))
    assert made == _without_dates(render_invoice_pdf(invoice))


@pytest.mark.parametrize("name", ["Schule\rNord", "Schule\x00", "Schule\x0b", "Schule\ue000"])
def test_a_row_text_the_parser_would_change_goes_through_the_parser(name):
    context = pdf_module.invoice_context(add_lines(InvoiceFactory(), MIXED[:2]))
    context["line_groups"][0]["table"]["rows"][1]["text"] = name

    assert pdf_module._rows_as_slots(context) == (context, None)
