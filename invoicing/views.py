"""Portal pages of invoices: the list, the stored documents and the cost breakdown.
Every view is scoped to the logged-in user's authority; others get a 404. The one
page without a login is the school's account page for a refund, opened by the
signed link of its notice e-mail (``payout_links.py``)."""

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from config.downloads import private_download
from invoicing.breakdown import XLSX_TYPE, breakdown_xlsx
from invoicing.documents import CONTENT_TYPES, document_read, download_name
from invoicing.forms import RefundAccountForm
from invoicing.payout_links import refund_for_token
from invoicing.payouts import refund_account_save
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


@never_cache
@require_http_methods(["GET", "POST"])
def refund_account(request, refund_id: int, token: str):
    """The school gives the account for one refund (no login: the signed link is
    the key). An expired, tampered or used link gets a German page, never a form."""
    try:
        refund = refund_for_token(refund_id=refund_id, token=token)
    except ValidationError as error:
        return render(
            request,
            "invoicing/refund_account_refused.html",
            {"message": error.messages[0]},
            status=403,
        )
    form = RefundAccountForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            payout = refund_account_save(
                refund=refund,
                holder=form.cleaned_data["account_holder"],
                iban=form.cleaned_data["iban"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return render(
                request, "invoicing/refund_account_done.html", {"refund": refund, "payout": payout}
            )
    return render(request, "invoicing/refund_account.html", {"refund": refund, "form": form})
