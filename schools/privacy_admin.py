"""Admin action: download everything stored about the selected contact persons (Art. 15)."""

import json

from django.contrib import admin
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _

from schools.privacy import contact_person_export


@admin.action(description=_("Datenauskunft der Ansprechpartner herunterladen (JSON)"))
def download_contact_person_export(modeladmin, request, queryset):
    emails = sorted({email.lower() for email in queryset.values_list("contact_email", flat=True)})
    exports = [contact_person_export(email=email) for email in emails]
    body = exports[0] if len(exports) == 1 else {"exports": exports}
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False, indent=2), content_type="application/json"
    )
    response["Content-Disposition"] = 'attachment; filename="datenauskunft.json"'
    return response


def attach_to_order_school_admin() -> None:
    """Adds the action to licensing's OrderSchool admin without editing licensing/admin.py."""
    from licensing.models import OrderSchool

    model_admin = admin.site._registry.get(OrderSchool)
    if model_admin is None:
        return
    actions = list(model_admin.actions or [])
    if download_contact_person_export not in actions:
        model_admin.actions = [*actions, download_contact_person_export]
