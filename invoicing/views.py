"""Portal pages of invoices: the list, the stored documents and the cost breakdown.
Every view is scoped to the logged-in user's authority; others get a 404."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from invoicing.breakdown import XLSX_TYPE, breakdown_xlsx
from invoicing.documents import document_read, download_name
from invoicing.selectors import invoice_of_authority, invoices_of_authority
from schools.access import authority_required

CONTENT_TYPES = {"pdf": "application/pdf", "xml": "application/xml"}


def _attachment(content: bytes, *, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@authority_required
def invoice_list(request, authority):
    return render(
        request,
        "invoicing/invoice_list.html",
        {"authority": authority, "invoices": invoices_of_authority(authority=authority)},
    )


@require_GET
@authority_required
def invoice_document(request, authority, invoice_id: int, kind: str):
    """The stored PDF or XML, byte for byte as issued and sent."""
    invoice = invoice_of_authority(authority=authority, invoice_id=invoice_id)
    field = invoice.pdf if kind == "pdf" else invoice.xml
    if not field:
        raise Http404
    return _attachment(
        document_read(field),
        content_type=CONTENT_TYPES[kind],
        filename=download_name(invoice, kind),
    )


@require_GET
@authority_required
def invoice_breakdown(request, authority, invoice_id: int):
    invoice = invoice_of_authority(authority=authority, invoice_id=invoice_id)
    return _attachment(
        breakdown_xlsx(invoice=invoice),
        content_type=XLSX_TYPE,
        filename=f"{invoice.number}-Kosten-je-Schule.xlsx",
    )
