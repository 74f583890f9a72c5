"""The authority's billing data page („Rechnungsdaten“): its staff keep the
billing address, invoice e-mail and Leitweg-ID complete (R9, R10)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from schools.access import authority_required
from schools.billing import authority_billing_update, billing_missing
from schools.forms import BillingDataForm


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


@authority_required
def billing_data(request, authority):
    form = BillingDataForm(request.POST or None, instance=authority)
    if request.method == "POST" and form.is_valid():
        authority_billing_update(authority=authority, data=form.cleaned_data)
        messages.success(request, _("Die Rechnungsdaten wurden gespeichert."))
        return redirect(_safe_next(request) or request.path)
    if request.method == "POST":
        authority.refresh_from_db()  # the page shows what is stored, not the bad input
    return render(
        request,
        "schools/authority_billing.html",
        {
            "authority": authority,
            "form": form,
            "missing": billing_missing(authority),
            "next": _safe_next(request),
        },
        status=400 if request.method == "POST" else 200,
    )
