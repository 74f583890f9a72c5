"""Portal pages of invoices: the list, the stored documents and the cost breakdown.
Every view is scoped to the logged-in user's authority; others get a 404."""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from config.downloads import private_download
from invoicing.breakdown import XLSX_TYPE, breakdown_xlsx
from invoicing.documents import CONTENT_TYPES, document_read, download_name
from invoicing.selectors import invoice_of_authority, invoices_of_authority
from schools.access import authority_required


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
    return private_download(
        document_read(field),
        content_type=CONTENT_TYPES[kind],
        filename=download_name(invoice, kind),
    )


@require_GET
@authority_required
def invoice_breakdown(request, authority, invoice_id: int):
    invoice = invoice_of_authority(authority=authority, invoice_id=invoice_id)
    return private_download(
        breakdown_xlsx(invoice=invoice),
        content_type=XLSX_TYPE,
        filename=f"{invoice.number}-Kosten-je-Schule.xlsx",
    )
