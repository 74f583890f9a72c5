"""The key EN 16931 / XRechnung 3.0 business rules, checked in Python on a
generated XML (the XSD only checks structure). Test-only: the tests run it on
every kind of document the product writes."""

from decimal import Decimal

from lxml import etree

from invoicing.einvoice import (
    NS,
    XRECHNUNG_GUIDELINE,
)

CENT = Decimal("0.01")


def _dec(node: etree._Element | None) -> Decimal | None:
    if node is None or node.text is None:
        return None
    return Decimal(node.text.strip())


def check_business_rules(xml: bytes) -> list[str]:
    """Key EN 16931 / XRechnung 3.0 business rules the XSD cannot check. Returns
    the violations as ``"RULE: explanation"``; empty when the document is fine."""
    root = etree.fromstring(xml)
    errors: list[str] = []

    def one(path: str, context: etree._Element = root) -> etree._Element | None:
        found = context.xpath(path, namespaces=NS)
        return found[0] if found else None

    def text(path: str, context: etree._Element = root) -> str:
        node = one(path, context)
        return (node.text or "").strip() if node is not None else ""

    def require(rule: str, path: str, what: str) -> None:
        if not text(path):
            errors.append(f"{rule}: {what} fehlt")

    def require_group(rule: str, path: str, what: str) -> None:
        if one(path) is None:
            errors.append(f"{rule}: {what} fehlt")

    guideline = "rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/"
    require("BR-1", guideline + "ram:ID", "Spezifikationskennung (BT-24)")
    if text(guideline + "ram:ID") != XRECHNUNG_GUIDELINE:
        errors.append("BR-DE-21: Spezifikationskennung ist nicht XRechnung 3.0")
    require("BR-2", "rsm:ExchangedDocument/ram:ID", "Rechnungsnummer (BT-1)")
    require("BR-3", "rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString", "Datum (BT-2)")
    require("BR-4", "rsm:ExchangedDocument/ram:TypeCode", "Rechnungsart (BT-3)")
    type_code = text("rsm:ExchangedDocument/ram:TypeCode")
    if type_code and type_code not in {"380", "381", "384", "389", "751"}:
        errors.append(f"BR-DE-17: Rechnungsart {type_code} ist nicht zulässig")

    tx = "rsm:SupplyChainTradeTransaction/"
    agreement = tx + "ram:ApplicableHeaderTradeAgreement/"
    settlement = tx + "ram:ApplicableHeaderTradeSettlement/"
    seller = agreement + "ram:SellerTradeParty/"
    buyer = agreement + "ram:BuyerTradeParty/"
    require("BR-5", settlement + "ram:InvoiceCurrencyCode", "Währung (BT-5)")
    require("BR-DE-15", agreement + "ram:BuyerReference", "Käuferreferenz / Leitweg-ID (BT-10)")
    require("BR-6", seller + "ram:Name", "Name des Verkäufers (BT-27)")
    require_group("BR-8", seller + "ram:PostalTradeAddress", "Anschrift des Verkäufers (BG-5)")
    require("BR-DE-3", seller + "ram:PostalTradeAddress/ram:CityName", "Ort des Verkäufers")
    require("BR-DE-4", seller + "ram:PostalTradeAddress/ram:PostcodeCode", "PLZ des Verkäufers")
    require("BR-9", seller + "ram:PostalTradeAddress/ram:CountryID", "Land des Verkäufers")
    contact = seller + "ram:DefinedTradeContact/"
    require("BR-DE-5", contact + "ram:PersonName", "Kontaktstelle des Verkäufers (BT-41)")
    require(
        "BR-DE-6",
        contact + "ram:TelephoneUniversalCommunication/ram:CompleteNumber",
        "Telefon des Verkäufers (BT-42)",
    )
    require(
        "BR-DE-7",
        contact + "ram:EmailURIUniversalCommunication/ram:URIID",
        "E-Mail des Verkäufers (BT-43)",
    )
    require_group(
        "BR-DE-2",
        seller + "ram:DefinedTradeContact",
        "Kontakt des Verkäufers (BG-6)",
    )
    require(
        "PEPPOL-EN16931-R020",
        seller + "ram:URIUniversalCommunication/ram:URIID",
        "elektronische Adresse des Verkäufers (BT-34)",
    )
    require(
        "PEPPOL-EN16931-R010",
        buyer + "ram:URIUniversalCommunication/ram:URIID",
        "elektronische Adresse des Käufers (BT-49)",
    )
    if not text(seller + "ram:SpecifiedTaxRegistration/ram:ID"):
        errors.append("BR-CO-26/BR-S-2: USt-IdNr. oder Steuernummer des Verkäufers fehlt")
    require("BR-7", buyer + "ram:Name", "Name des Käufers (BT-44)")
    require_group("BR-10", buyer + "ram:PostalTradeAddress", "Anschrift des Käufers (BG-8)")
    require("BR-DE-8", buyer + "ram:PostalTradeAddress/ram:CityName", "Ort des Käufers")
    require("BR-DE-9", buyer + "ram:PostalTradeAddress/ram:PostcodeCode", "PLZ des Käufers")
    require("BR-11", buyer + "ram:PostalTradeAddress/ram:CountryID", "Land des Käufers")

    means_code = text(settlement + "ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode")
    if not means_code:
        errors.append("BR-DE-1: Zahlungsanweisungen (BG-16) fehlen")
    if means_code in {"30", "58"} and not text(
        settlement
        + "ram:SpecifiedTradeSettlementPaymentMeans/ram:PayeePartyCreditorFinancialAccount/"
        "ram:IBANID"
    ):
        errors.append("BR-DE-23: IBAN (BT-84) fehlt bei Überweisung")

    lines = root.xpath(tx + "ram:IncludedSupplyChainTradeLineItem", namespaces=NS)
    if not lines:
        errors.append("BR-16: keine Rechnungsposition")
    line_sum = Decimal("0")
    nets_by_rate: dict[Decimal, Decimal] = {}
    for line in lines:
        line_id = text("ram:AssociatedDocumentLineDocument/ram:LineID", line)
        if not line_id:
            errors.append("BR-21: Positionsnummer (BT-126) fehlt")
        if not text("ram:SpecifiedTradeProduct/ram:Name", line):
            errors.append(f"BR-25: Artikelname der Position {line_id} fehlt")
        quantity = _dec(one("ram:SpecifiedLineTradeDelivery/ram:BilledQuantity", line))
        price = _dec(
            one(
                "ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:ChargeAmount",
                line,
            )
        )
        amount = _dec(
            one(
                "ram:SpecifiedLineTradeSettlement/"
                "ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount",
                line,
            )
        )
        rate = _dec(
            one(
                "ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax/ram:RateApplicablePercent",
                line,
            )
        )
        if quantity is None or price is None or amount is None:
            errors.append(
                f"BR-22/BR-24/BR-26: Menge, Preis oder Betrag der Position {line_id} fehlt"
            )
            continue
        if price < 0:
            errors.append(f"BR-27: Nettopreis der Position {line_id} ist negativ")
        if (quantity * price).quantize(CENT) != amount:
            errors.append(f"BR-LINE: Position {line_id}: Menge x Preis ≠ Nettobetrag")
        if rate is None:
            errors.append(f"BR-CO-4: USt-Satz der Position {line_id} fehlt")
            continue
        line_sum += amount
        nets_by_rate[rate] = nets_by_rate.get(rate, Decimal("0")) + amount

    summation = settlement + "ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
    line_total = _dec(one(summation + "ram:LineTotalAmount"))
    basis_total = _dec(one(summation + "ram:TaxBasisTotalAmount"))
    tax_total = _dec(one(summation + "ram:TaxTotalAmount"))
    grand_total = _dec(one(summation + "ram:GrandTotalAmount"))
    due = _dec(one(summation + "ram:DuePayableAmount"))
    prepaid = _dec(one(summation + "ram:TotalPrepaidAmount")) or Decimal("0")
    allowances = _dec(one(summation + "ram:AllowanceTotalAmount")) or Decimal("0")
    charges = _dec(one(summation + "ram:ChargeTotalAmount")) or Decimal("0")
    if None in (line_total, basis_total, grand_total, due):
        errors.append("BR-12/BR-13/BR-14/BR-15: Gesamtbeträge (BG-22) unvollständig")
        return errors
    if line_total != line_sum:
        errors.append(f"BR-CO-10: Summe der Positionen {line_sum} ≠ {line_total}")
    if basis_total != line_total - allowances + charges:
        errors.append(f"BR-CO-13: Nettosumme {basis_total} ≠ Positionssumme {line_total}")

    groups = root.xpath(settlement + "ram:ApplicableTradeTax", namespaces=NS)
    vat_sum = Decimal("0")
    seen_rates: set[Decimal] = set()
    for group in groups:
        basis = _dec(one("ram:BasisAmount", group))
        vat = _dec(one("ram:CalculatedAmount", group))
        rate = _dec(one("ram:RateApplicablePercent", group))
        if basis is None or vat is None or rate is None:
            errors.append("BR-45/BR-46/BR-48: USt-Aufschlüsselung unvollständig")
            continue
        seen_rates.add(rate)
        expected = (basis * rate / 100).quantize(CENT, rounding="ROUND_HALF_UP")
        # The official EN 16931 rule tolerates rounding differences; a refund whose
        # gross (R8) cannot be split exactly differs by one cent.
        if abs(vat - expected) > CENT:
            errors.append(f"BR-CO-17: USt {vat} zu {rate} % ≠ {expected}")
        if basis != nets_by_rate.get(rate, Decimal("0")):
            errors.append(f"BR-S-8: Bemessungsgrundlage {basis} zu {rate} % passt nicht")
        vat_sum += vat
    if set(nets_by_rate) != seen_rates:
        errors.append("BR-S-1/BR-CO-18: USt-Aufschlüsselung je Steuersatz fehlt")
    if tax_total is None or tax_total != vat_sum:
        errors.append(f"BR-CO-14: Umsatzsteuer gesamt {tax_total} ≠ {vat_sum}")
    if grand_total != basis_total + (tax_total or 0):
        errors.append(f"BR-CO-15: Brutto {grand_total} ≠ Netto + USt")
    if due != grand_total - prepaid:
        errors.append(f"BR-CO-16: Zahlbetrag {due} ≠ Brutto - Anzahlungen")
    if due > 0 and not (
        text(settlement + "ram:SpecifiedTradePaymentTerms/ram:Description")
        or text(
            settlement + "ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString"
        )
    ):
        errors.append("BR-CO-25: Fälligkeitsdatum oder Zahlungsbedingungen fehlen")
    if type_code == "381" and not text(
        settlement + "ram:InvoiceReferencedDocument/ram:IssuerAssignedID"
    ):
        errors.append("BT-25: Bezug auf die korrigierte Rechnung fehlt")
    return errors
