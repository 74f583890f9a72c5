from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    """Registers the portal's models with django-auditlog (see audit/registry.py) and
    the data-protection export action on the OrderSchool admin."""

    name = "audit"
    verbose_name = _("Änderungsprotokoll")

    def ready(self) -> None:
        from audit.registry import register_models
        from schools.privacy_admin import attach_to_order_school_admin

        register_models()
        attach_to_order_school_admin()
