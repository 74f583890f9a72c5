"""Portal pages for ordering a product with the registration list (Anmeldeliste).

Every view is scoped to the authority in its URL (``authority_required``); drafts
and orders of another authority are 404."""

from pathlib import PurePath

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from config.downloads import private_download
from config.uploads import upload_files
from licensing.anmeldeliste import STORED_TYPES, ListFileError, stored_list_kind
from licensing.forms import OrderSubmitForm, RegistrationUploadForm
from licensing.order_summary import order_terms, summary_of_order, summary_of_result
from licensing.registration import registration_template, template_filename
from licensing.registration_result import RegistrationResult
from licensing.selectors import (
    open_draft_of_authority,
    order_of_upload,
    order_school_rows,
    orderable_products,
    price_overview,
    price_overviews,
    submitted_order_of_authority,
    upload_for_preview,
    upload_of_authority,
)
from licensing.services import (
    REPLACED_MESSAGE,
    RegistrationInvalid,
    registration_upload,
)
from licensing.services import (
    order_submit as order_submit_service,
)
from schools.access import authority_required
from schools.billing import billing_missing, billing_missing_text

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _product(product_code: str):
    return get_object_or_404(orderable_products(), code=product_code)


@authority_required
def product_choice(request, authority):
    products = price_overviews(authority=authority, products=list(orderable_products()))
    return render(
        request,
        "licensing/order_products.html",
        {"authority": authority, "products": products},
    )


@authority_required
def order_upload(request, authority, product_code):
    product = _product(product_code)
    if request.method == "POST":
        form = RegistrationUploadForm(request.POST, upload_files(request))
        if form.is_valid():
            uploaded = form.cleaned_data["file"]
            try:
                result, upload = registration_upload(
                    authority=authority,
                    product=product,
                    data=uploaded.read(),
                    filename=uploaded.name,
                    by=request.user,
                )
            except ListFileError as exc:
                form.add_error("file", exc.message)
            else:
                if upload is not None:
                    # The preview is this request's answer, under its own address
                    # (``_preview``): one round trip less than a redirect to it.
                    return _preview(request, authority, upload, OrderSubmitForm(), result=result)
                return render(
                    request,
                    "licensing/registration_result.html",
                    {
                        "authority": authority,
                        "product": product,
                        "result": result,
                        "filename": uploaded.name,
                        "form": RegistrationUploadForm(),
                    },
                )
    else:
        form = RegistrationUploadForm()
    return render(
        request,
        "licensing/order_upload.html",
        {
            "authority": authority,
            "product": product,
            "overview": price_overview(authority=authority, product=product),
            "form": form,
            "draft": open_draft_of_authority(authority=authority, product=product),
        },
    )


@authority_required
def order_template(request, authority, product_code):
    product = _product(product_code)
    content = registration_template(authority=authority, product=product)
    response = HttpResponse(content, content_type=XLSX)
    filename = template_filename(authority=authority, product=product)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@authority_required
def order_preview(request, authority, upload_id):
    upload = upload_for_preview(authority=authority, upload_id=upload_id)
    if upload.ordered_as is not None:
        return redirect(
            "licensing:order_submitted", authority_id=authority.pk, order_id=upload.ordered_as
        )
    if not upload.is_draft:
        messages.warning(request, REPLACED_MESSAGE)
        return redirect(
            "licensing:order_upload", authority_id=authority.pk, product_code=upload.product.code
        )
    return _preview(request, authority, upload, OrderSubmitForm())


def _preview(
    request,
    authority,
    upload,
    submit_form: OrderSubmitForm,
    result: RegistrationResult | None = None,
):
    """The checked list with the summary, the terms and the binding order's form.
    ``result``: the upload's check result when the caller has it (the upload that
    just made it). Also the answer to a form sent to another address (the upload,
    an order form with errors): the page then shows the preview's own address in
    the browser (``js/page_address.js``), so that reloading it or going back and
    forth opens the preview instead of sending the form again."""
    if result is None:
        result = RegistrationResult.from_dict(upload.result)
    address = reverse("licensing:order_preview", args=[authority.pk, upload.pk])
    response = render(
        request,
        "licensing/registration_result.html",
        {
            "authority": authority,
            "product": upload.product,
            "result": result,
            "summary": summary_of_result(result=result, product=upload.product),
            "terms": order_terms(),
            "filename": upload.original_filename,
            "upload": upload,
            "form": RegistrationUploadForm(),
            "submit_form": submit_form,
            "billing_missing": billing_missing(authority),
            "page_address": address,
        },
    )
    if request.path != address:
        response["Content-Location"] = address  # RFC 9110: the page is that resource
    return response


def _billing_first(request, authority, upload):
    """Back to the billing data page, then to this upload's preview."""
    messages.error(request, billing_missing_text(authority))
    preview = reverse("licensing:order_preview", args=[authority.pk, upload.pk])
    billing = reverse("schools:billing_data", args=[authority.pk])
    return redirect(f"{billing}?{urlencode({'next': preview})}")


@require_POST
@authority_required
def order_submit(request, authority, upload_id):
    upload = upload_of_authority(authority=authority, upload_id=upload_id)
    if billing_missing(authority):
        return _billing_first(request, authority, upload)
    form = OrderSubmitForm(request.POST)
    if not form.is_valid():
        if upload.is_draft and order_of_upload(upload=upload) is None:
            return _preview(request, authority, upload, form)
        return redirect("licensing:order_preview", authority_id=authority.pk, upload_id=upload.pk)
    try:
        order = order_submit_service(
            upload=upload,
            by=request.user,
            order_reference=form.cleaned_data["order_reference"],
            terms_accepted=form.cleaned_data["accept_terms"],
        )
    except RegistrationInvalid as exc:
        for message in exc.messages[:20]:
            messages.error(request, message)
        return redirect(
            "licensing:order_upload", authority_id=authority.pk, product_code=upload.product.code
        )
    return redirect("licensing:order_submitted", authority_id=authority.pk, order_id=order.pk)


@authority_required
def order_submitted(request, authority, order_id):
    order = submitted_order_of_authority(authority=authority, order_id=order_id)
    entries = order_school_rows(
        order=order, ordering=("school__school_type__name", "school__school_number")
    )
    return render(
        request,
        "licensing/order_submitted.html",
        {
            "authority": authority,
            "order": order,
            "entries": entries,
            "summary": summary_of_order(order=order),
            "terms": order_terms(),
        },
    )


def upload_file_response(request, upload):
    """The stored original list, named and typed by its real format (an uploaded
    ``liste.html`` that is a workbook comes back as ``liste.xlsx``), or a German page
    (410) when a newer upload replaced it and its file is gone."""
    if not upload.file:
        return render(request, "licensing/upload_replaced.html", {"upload": upload}, status=410)
    handle = upload.file.open("rb")
    kind = stored_list_kind(handle)
    stem = PurePath(upload.original_filename.replace("\\", "/")).stem or "anmeldeliste"
    return private_download(handle, filename=f"{stem}.{kind}", content_type=STORED_TYPES[kind])


@require_GET
@authority_required
def order_upload_file(request, authority, upload_id):
    """The uploaded list as it was sent, for the authority that sent it. It is
    stored under a random name; the original file name is only metadata."""
    upload = upload_of_authority(authority=authority, upload_id=upload_id)
    return upload_file_response(request, upload)
