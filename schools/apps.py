"""The school directory's app: registers its models with the audit trail
(django-auditlog)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchoolsConfig(AppConfig):
    name = "schools"
    verbose_name = _("Schulverzeichnis")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        for name in ("SchoolAuthority", "School", "AuthorityMembership", "Invitation"):
            model = self.get_model(name)
            if not auditlog.contains(model):
                auditlog.register(model)
