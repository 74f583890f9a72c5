"""The publisher's admin page of the nightly runs: per run, what it renewed,
expired and sent, and what failed (read-only)."""

import json

from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from portal.models import NightlyRun


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(NightlyRun)
class NightlyRunAdmin(ReadOnlyAdmin):
    """What the nightly work did: per run, what it renewed, expired and sent, and
    what failed."""

    list_display = [
        "on",
        "started_at",
        "finished_at",
        "notices",
        "renewals",
        "expiries",
        "invoices_issued",
        "overdue",
        "failures",
    ]
    list_filter = ["on"]
    date_hierarchy = "on"
    fields = [
        "on",
        "started_at",
        "finished_at",
        "notices",
        "renewals",
        "expiries",
        "invoices_issued",
        "invoice_documents",
        "overdue",
        "failures",
        "failure_list",
        "done_list",
    ]
    readonly_fields = fields

    @admin.display(description=_("Belege und Versand der gestellten Rechnungen"))
    def invoice_documents(self, obj: NightlyRun) -> str:
        progress = obj.invoice_documents()
        return _("%(issued)s gestellt, %(documents)s mit PDF/XML, %(sent)s versendet") % progress

    @admin.display(description=_("Fehler im Einzelnen"))
    def failure_list(self, obj: NightlyRun):
        items = obj.log.get("failures", [])
        if not items:
            return "–"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{}: {} – {}</li>",
                ((f["step"], f["item"] or "–", f["error"]) for f in items),
            ),
        )

    @admin.display(description=_("Erledigt"))
    def done_list(self, obj: NightlyRun):
        steps = obj.log.get("steps", {})
        return format_html("<pre>{}</pre>", json.dumps(steps, ensure_ascii=False, indent=2))
