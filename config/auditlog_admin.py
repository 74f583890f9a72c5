"""The audit log (django-auditlog) in the admin, in German.

The library's own admin writes some of its texts as plain English strings ("1 change:
name", "system", "Correlation ID"); this subclass replaces those columns. Its
gettext messages (action names, field names, filter titles) are translated in
``locale/de/LC_MESSAGES/django.po``."""

from auditlog.admin import LogEntryAdmin
from auditlog.models import LogEntry
from auditlog.render import get_field_verbose_name
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from config.otp_admin import local_datetime

MAX_FIELDS_SHOWN = 5


class RecordTypeFilter(admin.SimpleListFilter):
    """The kind of record changed, by its German name (the library shows the
    model's code name)."""

    title = _("Art des Datensatzes")
    parameter_name = "resource_type"

    def lookups(self, request, model_admin):
        ids = model_admin.get_queryset(request).values_list("content_type_id", flat=True)
        types = ContentType.objects.filter(pk__in=ids.distinct().order_by())
        named = [
            (str(t.pk), str(t.model_class()._meta.verbose_name_plural))
            for t in types
            if t.model_class() is not None
        ]
        return sorted(named, key=lambda pair: pair[1])

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(content_type_id=self.value())
        return queryset


class GermanLogEntryAdmin(LogEntryAdmin):
    list_display = ["created", "resource_url", "action", "changed_fields", "actor_name"]
    list_filter = ["action", RecordTypeFilter]
    fieldsets = [
        (None, {"fields": ["created", "actor_name", "resource_url"]}),
        (_("Änderungen"), {"fields": ["action", "msg"]}),
    ]
    readonly_fields = ["created", "resource_url", "action", "actor_name", "msg"]

    @admin.display(description=_("Zeitpunkt"), ordering="timestamp")
    def created(self, entry: LogEntry) -> str:
        return local_datetime(entry.timestamp)

    @admin.display(description=_("geändert von"))
    def actor_name(self, entry: LogEntry) -> str:
        if entry.actor is None:
            return gettext("System (Nachtlauf, Worker oder Befehl)")
        return self.user_url(entry)

    @admin.display(description=_("Änderungen"))
    def changed_fields(self, entry: LogEntry) -> str:
        if entry.action in (LogEntry.Action.DELETE, LogEntry.Action.ACCESS):
            return ""
        names = [get_field_verbose_name(entry, name) for name in entry.changes_dict]
        shown = ", ".join(str(name) for name in names[:MAX_FIELDS_SHOWN])
        if len(names) > MAX_FIELDS_SHOWN:
            shown += ", …"
        return ngettext(
            "%(count)d Feld: %(fields)s", "%(count)d Felder: %(fields)s", len(names)
        ) % {"count": len(names), "fields": shown}


def register_auditlog_admin(site=None) -> None:
    site = site or admin.site
    if site.is_registered(LogEntry):
        site.unregister(LogEntry)
    site.register(LogEntry, GermanLogEntryAdmin)
