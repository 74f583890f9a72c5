"""XRechnung (CII) documents: schema validity, the official EN 16931 rules and our
own checks of the key business rules, for every document kind."""

import copy
import dataclasses
import subprocess
from decimal import Decimal

import facturx
import pytest
from lxml import etree

from invoicing import einvoice as einvoice_module
from invoicing.einvoice import (
    EN16931_GUIDELINE,
    NS,
    XRECHNUNG_GUIDELINE,
    invoice_xml,
    refund_xml,
)
from invoicing.einvoice_rules import (
    check_business_rules,
    check_document,
    check_xsd,
    schematron,
)
from invoicing.einvoice_xsd import factur_x_schema
from invoicing.pdf import einvoice_profile, render_refund_pdf
from invoicing.refunds import refund_split
from tests.invoicing.factories import InvoiceFactory, RefundFactory, add_lines, cancellation_of

pytestmark = pytest.mark.django_db

MIXED = [("100.00", "7.00"), ("33.33", "19.00"), ("33.33", "19.00"), ("10.05", "7.00")]


@pytest.fixture(scope="module")
def en16931_schematron():
    """The official CEN EN 16931 CII rules as the product runs them before a
    number is drawn (``invoicing.einvoice_rules``)."""

    def failures(xml: bytes, tmp_path=None) -> list[str]:
        return schematron.failures(xml)

    return failures


def without_leitweg_id(prices=(("250.00", "19.00"),)):
    return add_lines(
        InvoiceFactory(
            authority__leitweg_id="", authority__has_no_leitweg_id=True, buyer_leitweg_id=""
        ),
        list(prices),
    )


def documents() -> dict[str, tuple[bytes, str]]:
    """Each kind of document with the guideline (BT-24) it must name."""
    with_leitweg = add_lines(InvoiceFactory(), MIXED)
    return {
        "invoice with Leitweg-ID": (invoice_xml(with_leitweg), XRECHNUNG_GUIDELINE),
        "invoice without Leitweg-ID": (invoice_xml(without_leitweg_id()), EN16931_GUIDELINE),
        "cancellation invoice": (invoice_xml(cancellation_of(with_leitweg)), XRECHNUNG_GUIDELINE),
        "refund": (refund_xml(RefundFactory()), EN16931_GUIDELINE),
    }


def value(xml: bytes, path: str) -> str:
    found = etree.fromstring(xml).xpath(path, namespaces=NS)
    return found[0].text if found else ""


SETTLEMENT = "//ram:ApplicableHeaderTradeSettlement/"
SUMS = SETTLEMENT + "ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
AGREEMENT = "//ram:ApplicableHeaderTradeAgreement/"


def test_every_document_kind_is_schema_valid_and_keeps_the_rules(en16931_schematron, tmp_path):
    for kind, (xml, guideline) in documents().items():
        assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931"), kind
        assert check_business_rules(xml) == [], kind
        assert en16931_schematron(xml, tmp_path) == [], kind
        assert check_document(xml) == [], kind
        assert value(xml, "//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID") == guideline
        root = etree.fromstring(xml)
        empty = [e.tag for e in root.iter() if len(e) == 0 and not (e.text or "").strip()]
        assert empty == [], kind


def test_invoice_carries_buyer_seller_payment_and_period():
    invoice = add_lines(InvoiceFactory(), MIXED)
    xml = invoice_xml(invoice)

    assert value(xml, "//rsm:ExchangedDocument/ram:ID") == invoice.number
    assert value(xml, "//rsm:ExchangedDocument/ram:TypeCode") == "380"
    assert value(xml, "//ram:IssueDateTime/udt:DateTimeString") == "20260810"
    assert value(xml, AGREEMENT + "ram:BuyerReference") == "05315000-SCHULAMT1-82"
    seller = AGREEMENT + "ram:SellerTradeParty/"
    assert value(xml, seller + "ram:Name") == "Westermann Bildungsmedien Verlag GmbH"
    assert value(xml, seller + "ram:PostalTradeAddress/ram:LineOne") == "Georg-Westermann-Allee 66"
    assert value(xml, seller + "ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']") == (
        "DE811181311"
    )
    assert value(xml, seller + "ram:SpecifiedTaxRegistration/ram:ID[@schemeID='FC']") == (
        "13/200/12345"
    )
    assert value(xml, seller + "ram:URIUniversalCommunication/ram:URIID") == (
        "rechnungen@example.org"
    )
    assert value(xml, seller + "ram:DefinedTradeContact/ram:PersonName")
    buyer = AGREEMENT + "ram:BuyerTradeParty/"
    assert value(xml, buyer + "ram:Name") == "Stadt Musterstadt"
    assert value(xml, buyer + "ram:URIUniversalCommunication/ram:URIID") == invoice.buyer_email
    assert value(xml, buyer + "ram:PostalTradeAddress/ram:CityName") == "Köln"
    means = SETTLEMENT + "ram:SpecifiedTradeSettlementPaymentMeans/"
    assert value(xml, means + "ram:TypeCode") == "58"
    assert value(xml, means + "ram:PayeePartyCreditorFinancialAccount/ram:IBANID") == (
        "DE02120300000000202051"
    )
    assert value(xml, means + "ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID") == (
        "BYLADEM1001"
    )
    terms = SETTLEMENT + "ram:SpecifiedTradePaymentTerms/"
    assert value(xml, terms + "ram:Description") == (
        "Zahlbar in einer Zahlung bis 09.09.2026 ohne Abzug."
    )
    assert value(xml, terms + "ram:DueDateDateTime/udt:DateTimeString") == "20260909"
    period = SETTLEMENT + "ram:BillingSpecifiedPeriod/"
    assert value(xml, period + "ram:StartDateTime/udt:DateTimeString") == "20260801"
    assert value(xml, period + "ram:EndDateTime/udt:DateTimeString") == "20270731"

    line = "//ram:IncludedSupplyChainTradeLineItem[2]/"
    assert value(xml, line + "ram:AssociatedDocumentLineDocument/ram:LineID") == "2"
    assert value(xml, line + "ram:SpecifiedTradeProduct/ram:Name").startswith(
        "190002 Städt. Gemeinschaftsgrundschule Am Park 2 – Digitales Lehrwerk"
    )
    assert value(xml, line + "ram:SpecifiedLineTradeDelivery/ram:BilledQuantity") == "1"
    assert value(xml, line + "ram:SpecifiedLineTradeAgreement//ram:ChargeAmount") == "33.33"
    assert value(xml, line + "ram:SpecifiedLineTradeSettlement//ram:CategoryCode") == "S"
    assert value(xml, line + "ram:SpecifiedLineTradeSettlement//ram:RateApplicablePercent") == (
        "19.00"
    )


def test_totals_with_mixed_rates_add_up_vat_on_the_sum_per_rate():
    invoice = add_lines(InvoiceFactory(), MIXED)
    xml = invoice_xml(invoice)
    root = etree.fromstring(xml)
    groups = {
        g.findtext("ram:RateApplicablePercent", namespaces=NS): (
            g.findtext("ram:BasisAmount", namespaces=NS),
            g.findtext("ram:CalculatedAmount", namespaces=NS),
        )
        for g in root.xpath(SETTLEMENT + "ram:ApplicableTradeTax", namespaces=NS)
    }
    # 7 %: 110.05 x 0.07 = 7.7035 -> 7.70; 19 %: 66.66 x 0.19 = 12.6654 -> 12.67
    # (per line it would be 6.33 + 6.33 = 12.66).
    assert groups == {"7.00": ("110.05", "7.70"), "19.00": ("66.66", "12.67")}
    assert value(xml, SUMS + "ram:LineTotalAmount") == "176.71"
    assert value(xml, SUMS + "ram:TaxBasisTotalAmount") == "176.71"
    assert value(xml, SUMS + "ram:TaxTotalAmount") == "20.37"
    assert value(xml, SUMS + "ram:GrandTotalAmount") == "197.08"
    assert value(xml, SUMS + "ram:DuePayableAmount") == "197.08"
    assert invoice.gross_total == Decimal("197.08")


def test_buyer_without_leitweg_id_gets_en16931_with_customer_number_as_buyer_reference():
    invoice = without_leitweg_id()
    xml = invoice_xml(invoice)
    assert value(xml, "//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID") == (
        EN16931_GUIDELINE
    )
    assert value(xml, AGREEMENT + "ram:BuyerReference") == invoice.buyer_customer_number
    assert check_business_rules(xml) == []
    # The XRechnung-only rules do not apply to it: no BR-DE-15 without BT-10 ...
    assert check_business_rules(_broken(xml, AGREEMENT + "ram:BuyerReference", _remove)) == []
    # ... while a buyer WITH a Leitweg-ID gets an XRechnung, which needs it.
    xrechnung = invoice_xml(add_lines(InvoiceFactory(), MIXED))
    errors = check_business_rules(_broken(xrechnung, AGREEMENT + "ram:BuyerReference", _remove))
    assert [e.split(":")[0] for e in errors] == ["BR-DE-15"]


def test_buyer_post_code_electronic_address_and_order_reference_are_written():
    invoice = add_lines(InvoiceFactory(buyer_order_reference="AZ 40.1-2026/17"), MIXED)
    xml = invoice_xml(invoice)
    buyer = AGREEMENT + "ram:BuyerTradeParty/"
    assert value(xml, buyer + "ram:PostalTradeAddress/ram:PostcodeCode") == "50667"
    assert value(xml, buyer + "ram:URIUniversalCommunication/ram:URIID[@schemeID='EM']") == (
        invoice.buyer_email
    )
    assert value(xml, AGREEMENT + "ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID") == (
        "AZ 40.1-2026/17"
    )
    assert check_document(xml) == []


def test_without_order_reference_there_is_no_empty_order_element():
    xml = invoice_xml(add_lines(InvoiceFactory(buyer_order_reference=""), MIXED))
    assert value(xml, AGREEMENT + "ram:BuyerOrderReferencedDocument") == ""
    assert b"BuyerOrderReferencedDocument" not in xml


def test_missing_buyer_post_code_and_address_leave_no_empty_element_but_break_br_de_9():
    invoice = add_lines(InvoiceFactory(buyer_postal_code="", buyer_street=""), MIXED)
    xml = invoice_xml(invoice)
    assert b"<ram:PostcodeCode/>" not in xml and b"<ram:LineOne/>" not in xml
    errors = check_document(xml)
    assert [e.split(":")[0] for e in errors] == ["BR-DE-9"]


def test_an_empty_element_breaks_r008():
    xml = invoice_xml(add_lines(InvoiceFactory(), MIXED))
    broken = _broken(xml, AGREEMENT + "ram:BuyerTradeParty/ram:Name", _set(""))
    errors = check_business_rules(broken)
    assert "PEPPOL-EN16931-R008: leeres Element Name" in errors


def test_cancellation_is_a_credit_note_with_positive_amounts_referencing_the_original():
    original = add_lines(InvoiceFactory(), MIXED)
    cancellation = cancellation_of(original, number="RE-2026-00042")
    assert cancellation.gross_total == Decimal("-197.08")
    xml = invoice_xml(cancellation)

    assert value(xml, "//rsm:ExchangedDocument/ram:TypeCode") == "381"
    assert value(xml, "//rsm:ExchangedDocument/ram:ID") == "RE-2026-00042"
    reference = SETTLEMENT + "ram:InvoiceReferencedDocument/"
    assert value(xml, reference + "ram:IssuerAssignedID") == original.number
    assert value(xml, reference + "ram:FormattedIssueDateTime/qdt:DateTimeString") == "20260810"
    assert value(xml, SUMS + "ram:GrandTotalAmount") == "197.08"
    assert value(xml, "//ram:IncludedSupplyChainTradeLineItem[1]//ram:ChargeAmount") == "100.00"
    assert f"Stornorechnung zur Rechnung Nr. {original.number} vom 10.08.2026" in value(
        xml, "//ram:IncludedNote[1]/ram:Content"
    )


def test_refund_is_a_credit_note_to_the_school_referencing_the_individual_invoice():
    refund = RefundFactory()
    xml = refund_xml(refund)

    assert value(xml, "//rsm:ExchangedDocument/ram:TypeCode") == "381"
    assert value(xml, "//rsm:ExchangedDocument/ram:ID") == refund.number
    buyer = AGREEMENT + "ram:BuyerTradeParty/"
    assert value(xml, buyer + "ram:Name") == "Städt. Gymnasium Am Dom"
    assert value(xml, buyer + "ram:PostalTradeAddress/ram:LineOne") == "Domplatz 3"
    assert value(xml, buyer + "ram:URIUniversalCommunication/ram:URIID") == (
        "sekretariat@gymnasium-am-dom.example.org"
    )
    assert value(xml, AGREEMENT + "ram:BuyerReference") == refund.school.school_number
    reference = SETTLEMENT + "ram:InvoiceReferencedDocument/"
    assert value(xml, reference + "ram:IssuerAssignedID") == refund.original_invoice_number
    assert value(xml, reference + "ram:FormattedIssueDateTime/qdt:DateTimeString") == "20260102"
    assert value(xml, SETTLEMENT + "ram:ApplicableTradeTax/ram:RateApplicablePercent") == "7.00"
    assert value(xml, SETTLEMENT + "ram:ApplicableTradeTax/ram:BasisAmount") == "62.88"
    assert value(xml, SETTLEMENT + "ram:ApplicableTradeTax/ram:CalculatedAmount") == "4.40"
    assert value(xml, SUMS + "ram:GrandTotalAmount") == "67.28"
    assert "Gutschrift" not in xml.decode()


def _broken(xml: bytes, path: str, change) -> bytes:
    root = etree.fromstring(copy.copy(xml))
    node = root.xpath(path, namespaces=NS)[0]
    change(node)
    return etree.tostring(root)


def _remove(node):
    node.getparent().remove(node)


def _set(text):
    def change(node):
        node.text = text

    return change


@pytest.mark.parametrize(
    ("path", "change", "rule"),
    [
        (AGREEMENT + "ram:SellerTradeParty/ram:Name", _remove, "BR-6"),
        (AGREEMENT + "ram:SellerTradeParty/ram:PostalTradeAddress", _remove, "BR-8"),
        (AGREEMENT + "ram:SellerTradeParty/ram:DefinedTradeContact", _remove, "BR-DE-2"),
        (AGREEMENT + "ram:BuyerReference", _remove, "BR-DE-15"),
        (SETTLEMENT + "ram:SpecifiedTradeSettlementPaymentMeans", _remove, "BR-DE-1"),
        ("//ram:PayeePartyCreditorFinancialAccount", _remove, "BR-DE-23"),
        (
            "//ram:IncludedSupplyChainTradeLineItem[1]//ram:LineTotalAmount",
            _set("99.00"),
            "BR-CO-10",
        ),
        (SUMS + "ram:TaxBasisTotalAmount", _set("176.70"), "BR-CO-13"),
        (SETTLEMENT + "ram:ApplicableTradeTax[2]/ram:CalculatedAmount", _set("12.75"), "BR-CO-17"),
        (SUMS + "ram:GrandTotalAmount", _set("197.09"), "BR-CO-15"),
        (SUMS + "ram:TaxTotalAmount", _set("20.36"), "BR-CO-14"),
        (
            AGREEMENT + "ram:BuyerTradeParty/ram:URIUniversalCommunication",
            _remove,
            "PEPPOL-EN16931-R010",
        ),
    ],
)
def test_business_rules_catch_broken_documents(path, change, rule):
    xml = invoice_xml(add_lines(InvoiceFactory(), MIXED))
    errors = check_business_rules(_broken(xml, path, change))
    assert any(error.startswith(rule + ":") for error in errors), errors


def test_business_rules_require_at_least_one_line():
    xml = invoice_xml(add_lines(InvoiceFactory(), [("10.00", "19.00")]))
    root = etree.fromstring(xml)
    for item in root.xpath("//ram:IncludedSupplyChainTradeLineItem", namespaces=NS):
        item.getparent().remove(item)
    assert "BR-16: keine Rechnungsposition" in check_business_rules(etree.tostring(root))


def test_a_draft_has_no_e_invoice():
    draft = InvoiceFactory(number=None, status="draft", issue_date=None)
    with pytest.raises(ValueError):
        invoice_xml(draft)


@pytest.mark.django_db
def test_refund_whose_gross_cannot_be_split_exactly_keeps_its_amount_everywhere(
    en16931_schematron, tmp_path
):
    # 40.05 € at 19 %: no net amount n has n + round(n x 19 %) = 40.05, so the VAT
    # is one cent off the strict product. The document still pays back exactly the
    # R8 amount, and the official EN 16931 rules accept it.
    net, vat = refund_split(gross=Decimal("40.05"), rate=Decimal("19.00"))
    assert net + vat == Decimal("40.05")
    refund = RefundFactory(
        individual_licence__vat_rate=Decimal("19.00"),
        individual_licence__paid_amount=Decimal("95.54"),  # x 153 / 365 = 40.048...
        gross_amount=Decimal("40.05"),
        net_amount=net,
        vat_amount=vat,
    )

    xml = refund_xml(refund)

    assert value(xml, SUMS + "ram:GrandTotalAmount") == "40.05"
    assert value(xml, SUMS + "ram:TaxTotalAmount") == str(vat)
    assert value(xml, SUMS + "ram:TaxBasisTotalAmount") == str(net)
    assert check_business_rules(xml) == []
    assert en16931_schematron(xml, tmp_path) == []
    pdf = tmp_path / "erstattung.pdf"
    pdf.write_bytes(render_refund_pdf(refund))
    pdf_text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True
    ).stdout.decode()
    assert "× 153 verbleibende Tage / 365 Tage der Laufzeit = 40,05 €" in pdf_text
    assert "Erstattungsbetrag brutto" in pdf_text and f"{vat}".replace(".", ",") in pdf_text


def test_the_xsd_compiled_once_per_process_still_rejects_an_invalid_document():
    # The Factur-X XSD is compiled once and kept (einvoice_rules.factur_x_schema);
    # a kept schema must judge each document afresh: valid, invalid, valid again.
    xml = invoice_xml(add_lines(InvoiceFactory(), MIXED))
    buyer_name = AGREEMENT + "ram:BuyerTradeParty/ram:Name"
    unknown = _broken(xml, buyer_name, lambda node: node.addnext(etree.Element("X")))
    missing = _broken(xml, "//rsm:ExchangedDocument", _remove)

    assert check_xsd(xml) == []
    assert check_xsd(unknown)[0].startswith("XSD: Element 'X'")
    assert check_xsd(missing)[0].startswith("XSD: ")
    assert check_document(missing)[0].startswith("XSD: ")
    assert check_xsd(b"<rsm:CrossIndustryInvoice")[0].startswith("XSD: kein wohlgeformtes XML")
    assert check_xsd(xml) == []
    assert factur_x_schema("en16931") is factur_x_schema("en16931")
    # The PDF embeds only schema-valid XML, checked by the same kept schema.
    with pytest.raises(ValueError, match="XSD: Element 'X'"):
        einvoice_profile(unknown)
    assert einvoice_profile(xml).conformance_level == "XRECHNUNG"


def _line_by_line(transaction, lines):
    """The line items written one by one with ``_line_item`` (as before the
    prototypes)."""
    for line in lines:
        einvoice_module._line_item(transaction, line)


def test_line_items_from_prototypes_are_the_bytes_written_line_by_line(monkeypatch):
    # document_xml copies a prototype per line (_line_items); the bytes must be
    # the ones _line_item writes: texts escaped alike, every form of a line.
    names = ["Schule & Söhne <Am \"Park\"> 'Nord'", "Grundschule ß\u00a0Ü", "x" * 300]
    invoice = add_lines(InvoiceFactory(), MIXED[:3], names=names)
    refund = RefundFactory()
    docs = [
        einvoice_module.invoice_document(invoice),
        einvoice_module.invoice_document(cancellation_of(invoice)),
        einvoice_module.invoice_document(without_leitweg_id()),
        einvoice_module.refund_document(refund),
    ]
    plain = einvoice_module.invoice_document(add_lines(InvoiceFactory(), MIXED[:2]))
    # Lines without description or without period take the other prototypes.
    plain.lines = [
        einvoice_module.ELine(
            line_id="7",
            name="ohne",
            description="",
            net_amount=Decimal("-1.5"),
            vat_rate=Decimal("19"),
            period_start=None,
        ),
        *plain.lines,
        einvoice_module.ELine(
            line_id="",
            name="",
            description="nur Text",
            net_amount=Decimal("0"),
            vat_rate=Decimal("7.5"),
        ),
    ]
    docs.append(plain)

    written = [einvoice_module.document_xml(doc) for doc in docs]
    monkeypatch.setattr(einvoice_module, "_line_items", _line_by_line)

    assert written == [einvoice_module.document_xml(doc) for doc in docs]


def test_a_line_text_xml_cannot_carry_is_refused_as_before():
    doc = einvoice_module.invoice_document(add_lines(InvoiceFactory(), MIXED[:1]))
    doc.lines = [dataclasses.replace(doc.lines[0], name="Schule\x01")]
    with pytest.raises(ValueError):
        einvoice_module.document_xml(doc)
