"""The one intermediate page of admin actions that need input (a start date, a
reason, a payment): it lists the selected objects, shows the form and posts back
to the same action with ``apply`` set. Used by the licensing and invoicing admins."""

from django.contrib import messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse

# The intermediate page lists this many of the selected objects, then "… und N weitere".
SHOWN_OBJECTS = 100


def action_form_page(
    modeladmin,
    request,
    queryset,
    *,
    form,
    action: str,
    title: str,
    submit_label: str,
    intro: str = "",
) -> TemplateResponse:
    """With "alle N auswählen" (``select_across``) the page posts back that flag and
    one id instead of every id, so the admin's changelist re-applies its filters:
    thousands of hidden ids would exceed ``DATA_UPLOAD_MAX_NUMBER_FIELDS`` (400)."""
    select_across = request.POST.get("select_across") == "1"
    shown = list(queryset[: SHOWN_OBJECTS + 1])
    return TemplateResponse(
        request,
        "admin/action_form.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "intro": intro,
            "submit_label": submit_label,
            "objects": shown[:SHOWN_OBJECTS],
            "more": queryset.count() - SHOWN_OBJECTS if len(shown) > SHOWN_OBJECTS else 0,
            "posted_ids": [shown[0].pk]
            if select_across and shown
            else queryset.values_list("pk", flat=True),
            "select_across": select_across,
            "form": form,
            "action": action,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "opts": modeladmin.model._meta,
        },
    )


def apply_to_each(modeladmin, request, queryset, *, form_class, apply, page):
    """An action that asks one form (e.g. a date) and then applies it to every
    selected object: ``apply(obj, cleaned_data)`` returns the success message or
    raises ``ValidationError``, whose German text is shown for that object. Until the
    form is posted and valid, the intermediate page (``page``: the keyword arguments
    of :func:`action_form_page`) is shown."""
    form = form_class(request.POST if "apply" in request.POST else None)
    if not ("apply" in request.POST and form.is_valid()):
        return action_form_page(modeladmin, request, queryset, form=form, **page)
    for obj in queryset:
        try:
            message = apply(obj, form.cleaned_data)
        except ValidationError as error:
            modeladmin.message_user(request, " ".join(error.messages), messages.ERROR)
        else:
            modeladmin.message_user(request, message)
    return HttpResponseRedirect(request.get_full_path())
