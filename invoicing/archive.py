"""GoBD archive export: every issued document of a calendar year as the stored PDF
and XML bytes, unchanged, with an index (CSV for German spreadsheets)."""

import csv
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.db.models import Model
from django.utils.translation import gettext as _

from config.spreadsheet import csv_text
from invoicing.documents import document_read, sha256_hex
from invoicing.models import Invoice, Refund

INDEX_HEADER = [
    "Nummer",
    "Art",
    "Datum",
    "Empfänger",
    "Netto",
    "USt",
    "Brutto",
    "Status",
    "PDF-Datei",
    "PDF SHA-256",
    "XML-Datei",
    "XML SHA-256",
]


class ArchiveIntegrityError(Exception):
    """A stored file no longer matches the SHA-256 recorded when it was issued."""


@dataclass(frozen=True)
class ArchiveResult:
    documents: int
    index_path: Path


def _amount(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",")


def _copy(document: Model, field_name: str, target: Path) -> tuple[str, str]:
    field = getattr(document, field_name)
    recorded = getattr(document, f"{field_name}_sha256")
    if not field:
        raise ArchiveIntegrityError(
            _("%(number)s: Die Datei %(kind)s fehlt.")
            % {"number": document.number, "kind": field_name.upper()}
        )
    content = document_read(field)
    digest = sha256_hex(content)
    if digest != recorded:
        raise ArchiveIntegrityError(
            _(
                "%(number)s: Die gespeicherte %(kind)s-Datei stimmt nicht "
                "mit ihrer Prüfsumme überein."
            )
            % {"number": document.number, "kind": field_name.upper()}
        )
    filename = f"{document.number}.{field_name}"
    (target / filename).write_bytes(content)
    return filename, digest


def archive_export(*, year: int, out: Path) -> ArchiveResult:
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    invoices = (
        Invoice.objects.filter(issue_date__year=year)
        .exclude(status=Invoice.Status.DRAFT)
        .order_by("number")
    )
    for invoice in invoices:
        pdf_name, pdf_hash = _copy(invoice, "pdf", out)
        xml_name, xml_hash = _copy(invoice, "xml", out)
        rows.append(
            [
                invoice.number,
                invoice.get_kind_display(),
                invoice.issue_date.strftime("%d.%m.%Y"),
                csv_text(invoice.buyer_name),
                _amount(invoice.net_total),
                _amount(invoice.vat_total),
                _amount(invoice.gross_total),
                invoice.get_status_display(),
                pdf_name,
                pdf_hash,
                xml_name,
                xml_hash,
            ]
        )
    refunds = (
        Refund.objects.filter(issue_date__year=year)
        .exclude(status=Refund.Status.DRAFT)
        .order_by("number")
    )
    for refund in refunds:
        pdf_name, pdf_hash = _copy(refund, "pdf", out)
        xml_name, xml_hash = _copy(refund, "xml", out)
        rows.append(
            [
                refund.number,
                _("Erstattung (Rechnungskorrektur zu %(original)s)")
                % {"original": refund.original_invoice_number},
                refund.issue_date.strftime("%d.%m.%Y"),
                csv_text(refund.recipient_name),
                _amount(-refund.net_amount),
                _amount(-refund.vat_amount),
                _amount(-refund.gross_amount),
                refund.get_status_display(),
                pdf_name,
                pdf_hash,
                xml_name,
                xml_hash,
            ]
        )
    index_path = out / "index.csv"
    # UTF-8 with BOM and ";" so that German Excel opens it with umlauts and columns.
    with index_path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", quoting=csv.QUOTE_MINIMAL)
        writer.writerow(INDEX_HEADER)
        writer.writerows(rows)
    return ArchiveResult(documents=len(rows), index_path=index_path)
