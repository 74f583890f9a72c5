from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    """Registers the portal's models with django-auditlog (see audit/registry.py)."""

    name = "audit"
    verbose_name = _("Änderungsprotokoll")

    def ready(self) -> None:
        from audit.registry import register_models

        register_models()
