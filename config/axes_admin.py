"""The login lock-outs (django-axes) in the admin: the library's one action, which
deletes expired attempts, declares the delete permission like every other action
(the library's offers it to anybody who can view the list)."""

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext


class StaffAccessAttemptAdmin(AccessAttemptAdmin):
    actions = ["cleanup_expired_attempts"]

    @admin.action(description=_("Abgelaufene Fehlversuche löschen"), permissions=["delete"])
    def cleanup_expired_attempts(self, request, queryset):
        count = self.handler.clean_expired_user_attempts(request=request)
        self.message_user(
            request,
            ngettext(
                "%(count)d abgelaufener Fehlversuch gelöscht.",
                "%(count)d abgelaufene Fehlversuche gelöscht.",
                count,
            )
            % {"count": count},
        )


def register_axes_admin(site=None) -> None:
    site = site or admin.site
    if site.is_registered(AccessAttempt):
        site.unregister(AccessAttempt)
        site.register(AccessAttempt, StaffAccessAttemptAdmin)
