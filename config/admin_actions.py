"""The one intermediate page of admin actions that need input (a start date, a
reason, a payment): it lists the selected objects, shows the form and posts back
to the same action with ``apply`` set. Used by the licensing and invoicing admins."""

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.template.response import TemplateResponse


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
    return TemplateResponse(
        request,
        "admin/action_form.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "intro": intro,
            "submit_label": submit_label,
            "objects": queryset,
            "form": form,
            "action": action,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "opts": modeladmin.model._meta,
        },
    )
